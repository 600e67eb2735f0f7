package gomod

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

// pattern is one shape of real go.mod histories, as a project at an old
// and a new state tidied by the real go command.
type pattern struct {
	name     string
	mods     []goproxy.Module
	old, new map[string]string // project files; go.mod is tidied
	lockDir  string            // go.mod's directory within the project
	env      func(env []string) []string
	// wantRefused and wantFeasible count the subsets of units the
	// coupling refuses and accepts; every one is checked with the go
	// command (checkEverySubset).
	wantRefused, wantFeasible int
	check                     func(t *testing.T, s *scenario, set manifests.Pair)
}

func (p pattern) run(t *testing.T) {
	testenv.NeedTools(t, "go")
	s := &scenario{proxy: t.TempDir(), oldDir: t.TempDir(), newDir: t.TempDir(), lockDir: p.lockDir}
	s.env = goproxy.Env(s.proxy, t.TempDir())
	if p.env != nil {
		s.env = p.env(s.env)
	}
	goproxy.Write(t, s.proxy, p.mods...)
	for dir, files := range map[string]map[string]string{s.oldDir: p.old, s.newDir: p.new} {
		for name, content := range files {
			path := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s.goCmd(t, filepath.Join(dir, p.lockDir), "mod", "tidy")
	}
	set := s.open(t, s.env)
	// The in-process selection agrees with the go command's.
	for _, l := range []*lock{set.(*Pair).old, set.(*Pair).new} {
		want, err := selected(context.Background(), l, s.env, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := mvs(context.Background(), l, newModReader(s.env, "", slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: in-process selection %v, the go command's %v", l.ref, got, want)
		}
	}
	if p.check != nil {
		p.check(t, s, set)
	}
	checkEverySubset(t, s, set, p.wantRefused, p.wantFeasible)
}

// mainImporting is a main package printing the versions of the packages it
// imports.
func mainImporting(imports ...string) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n")
	for _, imp := range imports {
		b.WriteString("\n\t\"" + imp + "\"")
	}
	b.WriteString("\n)\n\nfunc main() { fmt.Println(")
	for i, imp := range imports {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(imp[strings.LastIndex(imp, "/")+1:] + ".Version()")
	}
	b.WriteString(") }\n")
	return b.String()
}

func edgeReasons(d *manifests.Diff) []string {
	var out []string
	for _, e := range d.Edges {
		out = append(out, e.Reason)
	}
	for _, u := range d.Units {
		if u.Reason != "" {
			out = append(out, u.Reason)
		}
	}
	return out
}

func TestPatterns(t *testing.T) {
	x110 := pkg("example.com/x", "v1.1.0", nil)
	x110.Go = "1.24"
	y100, y110 := pkg("example.com/y", "v1.0.0", nil), pkg("example.com/y", "v1.1.0", nil)
	y100.Go, y110.Go = "1.19", "1.20"
	withoutGOWORK := func(env []string) []string {
		return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "GOWORK=") })
	}
	patterns := []pattern{{
		// go 1.22.0 / toolchain go1.22.5 → go 1.24.0 / toolchain go1.24.3:
		// the new go line needs the toolchain line moved (the go command
		// refuses a toolchain line that is not above the go line), and x
		// v1.1.0 declares go 1.24. y moves freely.
		name: "go and toolchain lines",
		mods: []goproxy.Module{pkg("example.com/x", "v1.0.0", nil), x110, pkg("example.com/y", "v1.0.0", nil), pkg("example.com/y", "v1.1.0", nil)},
		old: map[string]string{"main.go": mainImporting("example.com/x", "example.com/y"),
			"go.mod": "module example.com/app\n\ngo 1.22.0\n\ntoolchain go1.22.5\n\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y v1.0.0\n)\n"},
		new: map[string]string{"main.go": mainImporting("example.com/x", "example.com/y"),
			"go.mod": "module example.com/app\n\ngo 1.24.0\n\ntoolchain go1.24.3\n\nrequire (\n\texample.com/x v1.1.0\n\texample.com/y v1.1.0\n)\n"},
		// x needs go needs toolchain: of {x, go, toolchain} 4 sets are
		// closed, 4 not; y doubles both.
		wantRefused: 8, wantFeasible: 8,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			d := set.Diff()
			want := []string{"example.com/x v1.1.0 requires go 1.24", "go 1.24.0 needs a toolchain line above it, not toolchain go1.22.5"}
			if got := edgeReasons(d); !slices.Equal(got, want) {
				t.Errorf("reasons = %q, want %q", got, want)
			}
			// Written anyway, go without toolchain is refused, and the
			// message says the toolchain line is why.
			c, err := set.(*Pair).write([]string{unitOf(t, d, "go")}, map[string]bool{"go": true})
			if err != nil {
				t.Fatal(err)
			}
			err = set.Validate(context.Background(), s.project(t, c), c)
			if !errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), "toolchain go1.22.5: the go command refuses a toolchain line that is not above the go line (go 1.24.0)") {
				t.Errorf("Validate(go alone) = %v, want ErrInfeasible naming the toolchain line", err)
			}
		},
	}, {
		// A dependency's go 1.20 does not raise a go 1.19 main module
		// (before go 1.21 the go line is advisory): y moves alone.
		name: "advisory go line",
		mods: []goproxy.Module{y100, y110},
		old: map[string]string{"main.go": mainImporting("example.com/y"),
			"go.mod": "module example.com/app\n\ngo 1.19\n\nrequire example.com/y v1.0.0\n"},
		new: map[string]string{"main.go": mainImporting("example.com/y"),
			"go.mod": "module example.com/app\n\ngo 1.20\n\nrequire example.com/y v1.1.0\n"},
		wantRefused: 0, wantFeasible: 4,
	}, {
		// replace M v1.8.0 => M v1.7.0 beside require M v1.8.0: the
		// replace and the require are one unit.
		name: "version-pinned replace",
		mods: []goproxy.Module{pkg("example.com/m", "v1.7.0", nil), pkg("example.com/m", "v1.8.0", nil),
			pkg("example.com/y", "v1.0.0", nil), pkg("example.com/y", "v1.1.0", nil)},
		old: map[string]string{"main.go": mainImporting("example.com/m", "example.com/y"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/m v1.7.0\n\texample.com/y v1.0.0\n)\n"},
		new: map[string]string{"main.go": mainImporting("example.com/m", "example.com/y"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/m v1.8.0\n\texample.com/y v1.1.0\n)\n\nreplace example.com/m v1.8.0 => example.com/m v1.7.0\n"},
		wantRefused: 0, wantFeasible: 4,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			d := set.Diff()
			u := unitOf(t, d, "example.com/m")
			if u != unitOf(t, d, "replace example.com/m@v1.8.0") {
				t.Errorf("the require and its version-pinned replace are in different units: %+v", d.Units)
			}
			if r := d.Unit(u).Reason; !strings.Contains(r, "no code change") {
				t.Errorf("unit reason %q does not say the unit changes no code", r)
			}
		},
	}, {
		// A monorepo: the in-tree module example.com/app/tools (replace
		// => ./tools) requires a newer a in the new state, so its go.mod
		// moves with a; the new in-tree module extra comes with its
		// require and its replace as one unit. Before the in-tree go.mod
		// was part of the candidate, even the old lock was infeasible.
		name: "monorepo in-tree modules",
		mods: []goproxy.Module{pkg("example.com/a", "v1.0.0", nil), pkg("example.com/a", "v1.1.0", nil),
			pkg("example.com/b", "v1.0.0", nil), pkg("example.com/b", "v1.1.0", nil)},
		old: map[string]string{"main.go": mainImporting("example.com/app/tools", "example.com/b"),
			"tools/go.mod":   "module example.com/app/tools\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n",
			"tools/tools.go": "package tools\n\nimport \"example.com/a\"\n\nfunc Version() string { return a.Version() }\n",
			"go.mod":         "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/app/tools v0.0.0-00010101000000-000000000000\n\texample.com/b v1.0.0\n)\n\nreplace example.com/app/tools => ./tools\n"},
		new: map[string]string{"main.go": mainImporting("example.com/app/tools", "example.com/app/extra", "example.com/b"),
			"tools/go.mod":   "module example.com/app/tools\n\ngo 1.21\n\nrequire example.com/a v1.1.0\n",
			"tools/tools.go": "package tools\n\nimport \"example.com/a\"\n\nfunc Version() string { return a.Version() }\n",
			"extra/go.mod":   "module example.com/app/extra\n\ngo 1.21\n",
			"extra/extra.go": "package extra\n\nfunc Version() string { return \"extra\" }\n",
			"go.mod":         "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/app/extra v0.0.0-00010101000000-000000000000\n\texample.com/app/tools v0.0.0-00010101000000-000000000000\n\texample.com/b v1.1.0\n)\n\nreplace (\n\texample.com/app/extra => ./extra\n\texample.com/app/tools => ./tools\n)\n"},
		// units a, b, extra (require + replace), ./tools/go.mod; the
		// in-tree go.mod needs a: 4 of 16 refused.
		wantRefused: 4, wantFeasible: 12,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			d := set.Diff()
			if len(d.Units) != 4 || unitOf(t, d, "example.com/app/extra") != unitOf(t, d, "replace example.com/app/extra") {
				t.Errorf("units = %+v, want a, b, tools/go.mod and extra with its replace", d.Units)
			}
			want := manifests.Edge{From: unitOf(t, d, "./tools/go.mod"), To: unitOf(t, d, "example.com/a"),
				Reason: "./tools/go.mod of " + filepath.Join(s.newDir, "go.mod") + " requires example.com/a v1.1.0"}
			if !slices.Contains(d.Edges, want) {
				t.Errorf("edges = %+v, want %+v", d.Edges, want)
			}
			c, err := set.Candidate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(c.Files["tools/go.mod"]); !strings.Contains(got, "example.com/a v1.0.0") {
				t.Errorf("the old lock's candidate writes tools/go.mod = %q, want the old one", got)
			}
		},
	}, {
		// A monorepo whose go.mod lives in app/ beside the sibling module
		// lib/ (replace => ../lib): lib is inside the project, so its
		// go.mod is read from each side and moves with what it requires.
		name:    "monorepo sibling module",
		lockDir: "app",
		mods: []goproxy.Module{pkg("example.com/a", "v1.0.0", nil), pkg("example.com/a", "v1.1.0", nil),
			pkg("example.com/b", "v1.0.0", nil), pkg("example.com/b", "v1.1.0", nil)},
		old: map[string]string{"app/main.go": mainImporting("example.com/lib", "example.com/b"),
			"lib/go.mod": "module example.com/lib\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n",
			"lib/lib.go": "package lib\n\nimport \"example.com/a\"\n\nfunc Version() string { return a.Version() }\n",
			"app/go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/lib v0.0.0-00010101000000-000000000000\n\texample.com/b v1.0.0\n)\n\nreplace example.com/lib => ../lib\n"},
		new: map[string]string{"app/main.go": mainImporting("example.com/lib", "example.com/b"),
			"lib/go.mod": "module example.com/lib\n\ngo 1.21\n\nrequire example.com/a v1.1.0\n",
			"lib/lib.go": "package lib\n\nimport \"example.com/a\"\n\nfunc Version() string { return a.Version() }\n",
			"app/go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/lib v0.0.0-00010101000000-000000000000\n\texample.com/b v1.1.0\n)\n\nreplace example.com/lib => ../lib\n"},
		// units a, b, ../lib/go.mod; lib needs a: 2 of 8 refused.
		wantRefused: 2, wantFeasible: 6,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			c, err := set.Candidate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(c.Files["../lib/go.mod"]); !strings.Contains(got, "example.com/a v1.0.0") {
				t.Errorf("the old lock's candidate writes ../lib/go.mod = %q, want the old one", got)
			}
		},
	}, {
		// A go.work beside go.mod uses ./other, which requires a newer a:
		// in workspace mode the go command selects a v1.1.0 for the old
		// lock too. Validation runs with GOWORK=off, so every subset is
		// feasible, unless the user's environment sets GOWORK.
		name: "go.work beside go.mod",
		mods: []goproxy.Module{pkg("example.com/a", "v1.0.0", nil), pkg("example.com/a", "v1.1.0", nil),
			pkg("example.com/b", "v1.0.0", nil), pkg("example.com/b", "v1.1.0", nil)},
		env: withoutGOWORK,
		old: map[string]string{"main.go": mainImporting("example.com/a", "example.com/b"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\n"},
		new: map[string]string{"main.go": mainImporting("example.com/a", "example.com/b"),
			"go.mod":       "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.1.0\n\texample.com/b v1.1.0\n)\n",
			"go.work":      "go 1.21\n\nuse (\n\t.\n\t./other\n)\n",
			"other/go.mod": "module example.com/other\n\ngo 1.21\n\nrequire example.com/a v1.1.0\n",
			"other/o.go":   "package other\n\nimport _ \"example.com/a\"\n"},
		wantRefused: 0, wantFeasible: 4,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			workspace := s.open(t, append(slices.Clone(s.env), "GOWORK="+filepath.Join(s.newDir, "go.work")))
			c, err := workspace.Candidate(nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := s.project(t, c)
			err = workspace.Validate(context.Background(), dir, c)
			if !errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), "example.com/a: intended v1.0.0, the go command selects v1.1.0") {
				t.Errorf("Validate(old lock) with the user's GOWORK = %v, want ErrInfeasible naming example.com/a", err)
			}
		},
	}, {
		// n is required by q (go.mod only) in both states; old r imports
		// it, so the old go.mod lists n, and new r does not, so the new
		// one drops it. The new lock still selects n v1.1.0 through q: the
		// removal of n's line forces nothing.
		name: "removed module stays selected",
		mods: []goproxy.Module{pkg("example.com/n", "v1.1.0", nil),
			pkg("example.com/q", "v1.0.0", map[string]string{"example.com/n": "v1.1.0"}),
			pkg("example.com/r", "v1.0.0", map[string]string{"example.com/n": "v1.1.0"}, "example.com/n"),
			pkg("example.com/r", "v1.1.0", nil)},
		old: map[string]string{"main.go": mainImporting("example.com/q", "example.com/r"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/q v1.0.0\n\texample.com/r v1.0.0\n)\n"},
		new: map[string]string{"main.go": mainImporting("example.com/q", "example.com/r"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/q v1.0.0\n\texample.com/r v1.1.0\n)\n"},
		wantRefused: 0, wantFeasible: 4,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			d := set.Diff()
			if c := d.Change("example.com/n"); c == nil || c.Kind != manifests.Removed {
				t.Fatalf("change of n = %+v, want a removal", c)
			}
			if len(d.Edges) != 0 {
				t.Errorf("edges = %+v, want none: n stays selected through q", d.Edges)
			}
		},
	}, {
		// A removed exclude of a version nothing requires is inert:
		// listed, not searched.
		name: "exclude removal",
		mods: []goproxy.Module{pkg("example.com/a", "v1.0.0", nil), pkg("example.com/a", "v1.1.0", nil), pkg("example.com/a", "v1.2.0", nil)},
		old: map[string]string{"main.go": mainImporting("example.com/a"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.1.0\n\nexclude (\n\texample.com/a v0.9.0\n)\n"},
		new: map[string]string{"main.go": mainImporting("example.com/a"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.2.0\n"},
		wantRefused: 0, wantFeasible: 2,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			d := set.Diff()
			if c := d.Change("exclude example.com/a@v0.9.0"); c == nil || c.Inert == "" {
				t.Errorf("exclude of v0.9.0 = %+v, want listed and inert", c)
			}
			if len(d.Units) != 1 {
				t.Errorf("units = %+v, want only a's", d.Units)
			}
		},
	}, {
		// The new lock requires a version its author retracted (v1.2.0's
		// go.mod retracts v1.1.0): the change says so.
		name: "retracted version",
		mods: []goproxy.Module{pkg("example.com/a", "v1.0.0", nil), pkg("example.com/a", "v1.1.0", nil),
			{Path: "example.com/a", Version: "v1.2.0", GoMod: "module example.com/a\n\ngo 1.21\n\nretract v1.1.0 // corrupts the cache\n",
				Files: map[string]string{"a.go": "package a\n\nfunc Version() string { return \"a@v1.2.0\" }\n"}}},
		old: map[string]string{"main.go": mainImporting("example.com/a"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n"},
		new: map[string]string{"main.go": mainImporting("example.com/a"),
			"go.mod": "module example.com/app\n\ngo 1.21\n\nrequire example.com/a v1.1.0\n"},
		wantRefused: 0, wantFeasible: 2,
		check: func(t *testing.T, s *scenario, set manifests.Pair) {
			if c := set.Diff().Change("example.com/a"); c == nil || c.Retracted != "v1.1.0 is retracted: corrupts the cache" {
				t.Errorf("change of a = %+v, want v1.1.0 flagged as retracted", c)
			}
		},
	}}
	for _, p := range patterns {
		t.Run(p.name, p.run)
	}
}

// TestReproduce: the rollback command edits only the culprit's lines, and
// the go command confirms it selects what the candidate without the
// culprit selects; a rollback the coupling forbids has no command.
func TestReproduce(t *testing.T) {
	s := newScenario(t)
	set := s.open(t, s.env).(*Pair)
	d := set.Diff()
	ctx := context.Background()
	tests := []struct {
		pkg, want, wantErr string
	}{
		{pkg: "example.com/c", want: "go mod edit -require=example.com/c@v1.0.0"},
		{pkg: "example.com/b", want: "go mod edit -require=example.com/b@v1.0.0"},
		{pkg: "example.com/a", wantErr: "applying"},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			got, err := set.Reproduce(ctx, []string{unitOf(t, d, tt.pkg)})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Reproduce(%s) = %q, %v; want an error mentioning %q", tt.pkg, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Errorf("Reproduce(%s) = %q, %v; want %q", tt.pkg, got, err, tt.want)
			}
		})
	}
}

// TestInTreeFromRevision: with REV:PATH the in-tree module's go.mod is
// read from the same revision as the lock, not from the work tree.
func TestInTreeFromRevision(t *testing.T) {
	dir := t.TempDir()
	git := testenv.Git(t, dir)
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("app/go.mod", "module example.com/app\n\ngo 1.21\n\nrequire example.com/app/tools v0.0.0-00010101000000-000000000000\n\nreplace example.com/app/tools => ./tools\n")
	write("app/tools/go.mod", "module example.com/app/tools\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n")
	git("add", ".")
	git("commit", "-q", "-m", "old")
	write("app/tools/go.mod", "module example.com/app/tools\n\ngo 1.21\n\nrequire example.com/a v1.1.0\n")

	s, err := manifests.Read(context.Background(), "HEAD:app/go.mod", dir, Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	l, err := load(s, "")
	if err != nil {
		t.Fatal(err)
	}
	it := l.inTree["example.com/app/tools"]
	if it == nil || it.rel != "tools" || !strings.Contains(string(it.data), "example.com/a v1.0.0") {
		t.Errorf("in-tree module = %+v, want tools/go.mod as committed", it)
	}
}

// TestCandidateOutsideReplaces: the candidate is built in a copy of the
// project, so a relative directory replacement that leaves the project is
// made absolute against the original; an absolute one and one inside the
// project stay as written. The bytes are the same on every call.
func TestCandidateOutsideReplaces(t *testing.T) {
	dir := t.TempDir()
	newDir := filepath.Join(dir, "app")
	gomod := "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n\texample.com/c v1.0.0\n)\n\n" +
		"replace (\n\texample.com/a => ../lib\n\texample.com/b => /opt/b\n\texample.com/c => ./c\n)\n"
	old := &manifests.Snapshot{Ref: "old/go.mod", Path: "go.mod", Files: map[string][]byte{"go.mod": []byte(gomod)}}
	new := &manifests.Snapshot{Ref: "app/go.mod", Dir: newDir, Path: "go.mod", Files: map[string][]byte{"go.mod": []byte(gomod + "\nrequire example.com/d v1.0.0\n")}}
	set, err := Ecosystem{}.Open(context.Background(), old, new, manifests.Options{Env: []string{"GOPROXY=off", "GOMODCACHE=" + t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := set.Candidate(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := string(c.Files["go.mod"])
	for _, want := range []string{"example.com/a => " + filepath.Join(dir, "lib"), "example.com/b => /opt/b", "example.com/c => ./c"} {
		if !strings.Contains(got, want) {
			t.Errorf("candidate go.mod lacks %q:\n%s", want, got)
		}
	}
	again, err := set.Candidate(nil)
	if err != nil || again.Hash() != c.Hash() {
		t.Errorf("a second candidate of the same set differs (%v)", err)
	}
}
