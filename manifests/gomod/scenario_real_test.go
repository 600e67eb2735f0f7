package gomod

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/manifeststest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestScenarioDiffGolden(t *testing.T) {
	s := newScenario(t)
	got, err := json.MarshalIndent(s.open(t, s.env).Diff(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "scenario_diff.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("diff JSON differs from %s (-update to accept):\n%s", golden, got)
	}
}

// TestScenarioEverySubset checks the coupling against the go command: for
// every subset of units, Candidate refuses exactly the sets that are not
// closed, and every set it writes is selected as intended by the real go
// command.
func TestScenarioEverySubset(t *testing.T) {
	s := newScenario(t)
	// b needs a: of 16 subsets, those with b but not a (4) are refused.
	checkEverySubset(t, s, s.open(t, s.env), 4, 12)
}

// TestScenarioDowngrade checks the rollback rule with the go command: r
// v1.0.0 requires p v1.1.0 and p is downgraded to v1.0.0 while r moves to
// v1.1.0, so keeping r old keeps p old (applying p needs r applied).
func TestScenarioDowngrade(t *testing.T) {
	testenv.NeedTools(t, "go")
	s := &scenario{proxy: t.TempDir(), oldDir: t.TempDir(), newDir: t.TempDir(),
		main: "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/r\"\n)\n\nfunc main() { fmt.Println(r.Version()) }\n"}
	s.env = goproxy.Env(s.proxy, t.TempDir())
	goproxy.Write(t, s.proxy,
		pkg("example.com/p", "v1.0.0", nil),
		pkg("example.com/p", "v1.1.0", nil),
		pkg("example.com/r", "v1.0.0", map[string]string{"example.com/p": "v1.1.0"}, "example.com/p"),
		pkg("example.com/r", "v1.1.0", map[string]string{"example.com/p": "v1.0.0"}, "example.com/p"),
	)
	s.tidy(t, s.oldDir, "module example.com/app\n\ngo 1.21\n\nrequire example.com/r v1.0.0\n\nrequire example.com/p v1.1.0 // indirect\n")
	s.tidy(t, s.newDir, "module example.com/app\n\ngo 1.21\n\nrequire example.com/r v1.1.0\n\nrequire example.com/p v1.0.0 // indirect\n")
	set := s.open(t, s.env)
	d := set.Diff()
	want := manifests.Edge{From: unitOf(t, d, "example.com/p"), To: unitOf(t, d, "example.com/r"), Reason: "example.com/r v1.0.0 requires example.com/p v1.1.0"}
	if len(d.Edges) != 1 || d.Edges[0] != want {
		t.Fatalf("edges = %+v, want only %+v", d.Edges, want)
	}
	if c := d.Change("example.com/p"); c == nil || c.Kind != manifests.Downgrade {
		t.Errorf("change of example.com/p = %+v, want a downgrade", c)
	}
	checkEverySubset(t, s, set, 1, 3)

	// The refused set is really infeasible: written anyway by a set that
	// could not read the coupling, the go command keeps p at v1.1.0.
	blind := s.open(t, []string{"GOPROXY=off", "GOMODCACHE=" + t.TempDir()})
	c, err := blind.Candidate([]string{unitOf(t, blind.Diff(), "example.com/p")})
	if err != nil {
		t.Fatal(err)
	}
	err = set.Validate(context.Background(), s.project(t, c), c)
	if !errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), "example.com/p: intended v1.0.0, the go command selects v1.1.0") {
		t.Errorf("Validate(p alone) = %v, want ErrInfeasible naming example.com/p", err)
	}
}

// TestScenarioGoDirective: x v1.1.0 declares go 1.23, so applying it needs
// the main module's go line raised too.
func TestScenarioGoDirective(t *testing.T) {
	testenv.NeedTools(t, "go")
	s := &scenario{proxy: t.TempDir(), oldDir: t.TempDir(), newDir: t.TempDir(),
		main: "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x\"\n)\n\nfunc main() { fmt.Println(x.Version()) }\n"}
	s.env = goproxy.Env(s.proxy, t.TempDir())
	x100, x110 := pkg("example.com/x", "v1.0.0", nil), pkg("example.com/x", "v1.1.0", nil)
	x110.Go = "1.23"
	goproxy.Write(t, s.proxy, x100, x110)
	s.tidy(t, s.oldDir, "module example.com/app\n\ngo 1.21\n\nrequire example.com/x v1.0.0\n")
	s.tidy(t, s.newDir, "module example.com/app\n\ngo 1.23\n\nrequire example.com/x v1.1.0\n")
	set := s.open(t, s.env)
	d := set.Diff()
	want := manifests.Edge{From: unitOf(t, d, "example.com/x"), To: unitOf(t, d, "go"), Reason: "example.com/x v1.1.0 requires go 1.23"}
	if len(d.Edges) != 1 || d.Edges[0] != want {
		t.Fatalf("edges = %+v, want only %+v", d.Edges, want)
	}
	checkEverySubset(t, s, set, 1, 3)

	blind := s.open(t, []string{"GOPROXY=off", "GOMODCACHE=" + t.TempDir()})
	c, err := blind.Candidate([]string{unitOf(t, blind.Diff(), "example.com/x")})
	if err != nil {
		t.Fatal(err)
	}
	err = set.Validate(context.Background(), s.project(t, c), c)
	if !errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), "go directive: intended 1.21, the go command needs 1.23") {
		t.Errorf("Validate(x alone) = %v, want ErrInfeasible naming the go directive", err)
	}
}

// checkEverySubset writes every subset of units: unclosed ones must be
// refused with ErrInfeasible and, written anyway, fail Validate (the real
// go command selects other versions or refuses the go.mod); closed ones
// must pass Validate.
func checkEverySubset(t *testing.T, s *scenario, set manifests.Pair, wantRefused, wantFeasible int) {
	t.Helper()
	ctx := context.Background()
	refused := 0
	feasible := manifeststest.EverySubset(t, set, func(t *testing.T, applied []string, c *manifests.Candidate) {
		if c != nil {
			if err := set.Validate(ctx, s.project(t, c), c); err != nil {
				t.Errorf("Validate(%v): %v", applied, err)
			}
			return
		}
		refused++
		// The refusal is the go command's: written anyway, the set does
		// not select what it names.
		on := map[string]bool{}
		for _, id := range applied {
			for _, p := range set.Diff().Unit(id).Packages {
				on[p] = true
			}
		}
		c, err := set.(*Pair).write(applied, on)
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Validate(ctx, s.project(t, c), c); !errors.Is(err, manifests.ErrInfeasible) {
			t.Errorf("Validate(%v) of a refused set = %v, want ErrInfeasible: the coupling claims a force the go command does not make", applied, err)
		}
	})
	if refused != wantRefused || feasible != wantFeasible {
		t.Errorf("%d refused and %d feasible candidates, want %d and %d", refused, feasible, wantRefused, wantFeasible)
	}
}

// TestScenarioSilentBump shows the trap and that Validate catches it: with
// the coupling unknown (no go.mod of any version readable), the candidate
// "b applied, a rolled back" is written; `go build -mod=mod` builds it
// without a word but links a v1.1.0, and Validate names the bump.
func TestScenarioSilentBump(t *testing.T) {
	s := newScenario(t)
	blind := s.open(t, []string{"GOPROXY=off", "GOMODCACHE=" + t.TempDir(), "GOFLAGS=-mod=mod"})
	if len(blind.Diff().Edges) != 0 {
		t.Fatalf("blind set found edges %+v; the test needs none", blind.Diff().Edges)
	}
	ub := unitOf(t, blind.Diff(), "example.com/b")
	c, err := blind.Candidate([]string{ub})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.project(t, c)

	s.goCmd(t, dir, "build", "-mod=mod", "-o", "app", ".")
	out, err := exec.Command(filepath.Join(dir, "app")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "a@v1.1.0") {
		t.Fatalf("-mod=mod build printed %q; expected the silent bump to a@v1.1.0", out)
	}

	if err := os.WriteFile(filepath.Join(dir, "go.mod"), c.Files["go.mod"], 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.open(t, s.env).Validate(context.Background(), dir, c)
	if !errors.Is(err, manifests.ErrInfeasible) {
		t.Fatalf("Validate = %v, want ErrInfeasible", err)
	}
	if want := "example.com/a: intended v1.0.0, the go command selects v1.1.0 (required by example.com/b@v1.2.0)"; !strings.Contains(err.Error(), want) {
		t.Errorf("Validate error %q does not say %q", err, want)
	}
}

// TestScenarioIndirectOnly: d changes only as a // indirect requirement; it
// is listed as transitive, is a unit of its own, and applied alone it
// validates, builds with the default (read-only) go build and is linked.
func TestScenarioIndirectOnly(t *testing.T) {
	s := newScenario(t)
	set := s.open(t, s.env)
	d := set.Diff().Change("example.com/d")
	if d == nil || d.Direct || d.From != "v1.0.0" || d.To != "v1.0.1" || d.Kind != manifests.Upgrade {
		t.Fatalf("change of example.com/d = %+v, want a transitive upgrade v1.0.0 → v1.0.1", d)
	}
	ud := unitOf(t, set.Diff(), "example.com/d")
	for _, e := range set.Diff().Edges {
		if e.From == ud || e.To == ud {
			t.Errorf("indirect-only unit %s is coupled: %+v", ud, e)
		}
	}
	c, err := set.Candidate([]string{ud})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.project(t, c)
	if err := set.Validate(context.Background(), dir, c); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	s.goCmd(t, dir, "build", "-o", "app", ".")
	out, err := exec.Command(filepath.Join(dir, "app")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "b@v1.0.0 a@v1.0.0 c@v1.0.0 d@v1.0.1"; got != want {
		t.Errorf("binary printed %q, want %q", got, want)
	}
}
