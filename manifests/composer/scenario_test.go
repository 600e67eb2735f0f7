package composer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/manifeststest"
)

type req = map[string]string

// scenario is a pair of projects for the real composer: packages on both
// sides, the old and the new releases, and the two root composer.json.
type scenario struct {
	unchanged, old, new []composerrepo.Package
	oldRoot, newRoot    composerrepo.Root
}

// mcpScenario is the motivating case: mcp/sdk 0.4 → 0.5 drags
// symfony/mcp-bundle, reflection-docblock and type-resolver with it (one
// cycle), adds psr/clock and drops webmozart/assert; two Symfony components
// move with a one-way requirement; a dev tool is downgraded; and the new
// composer.json pins mcp/sdk and the dev tool so that rolling them back
// needs the old root constraints.
var mcpScenario = scenario{
	unchanged: []composerrepo.Package{
		{Name: "phpdocumentor/reflection-common", Version: "2.2.0", Require: req{"php": ">=7.2"}},
	},
	old: []composerrepo.Package{
		{Name: "mcp/sdk", Version: "0.4.0", Require: req{"php": ">=8.1", "phpdocumentor/reflection-docblock": "^5.3"}},
		{Name: "symfony/mcp-bundle", Version: "0.8.0", Require: req{"mcp/sdk": "^0.4", "symfony/http-kernel": "^7.4"}},
		{Name: "phpdocumentor/reflection-docblock", Version: "5.6.0", Require: req{"phpdocumentor/type-resolver": "^1.7", "webmozart/assert": "^1.9", "ext-filter": "*"}},
		{Name: "phpdocumentor/type-resolver", Version: "1.10.0", Require: req{"phpdocumentor/reflection-common": "^2.0"}},
		{Name: "webmozart/assert", Version: "1.11.0", Require: req{"php": "^7.2 || ^8.0"}},
		{Name: "symfony/event-dispatcher", Version: "v7.4.8"},
		{Name: "symfony/http-kernel", Version: "v7.4.8", Require: req{"symfony/event-dispatcher": "^7.4"}},
		{Name: "acme/dev-tool", Version: "1.2.0"},
	},
	new: []composerrepo.Package{
		{Name: "mcp/sdk", Version: "0.5.0", Require: req{"php": ">=8.1", "phpdocumentor/reflection-docblock": "^6.0", "psr/clock": "^1.0"}},
		{Name: "symfony/mcp-bundle", Version: "0.9.0", Require: req{"mcp/sdk": "^0.5", "symfony/http-kernel": "^7.4"}},
		{Name: "phpdocumentor/reflection-docblock", Version: "6.0.0", Require: req{"phpdocumentor/type-resolver": "^2.0"}},
		{Name: "phpdocumentor/type-resolver", Version: "2.0.0", Require: req{"phpdocumentor/reflection-common": "^2.0"}, Conflict: req{"phpdocumentor/reflection-docblock": "<6.0"}},
		{Name: "psr/clock", Version: "1.0.0", Require: req{"php": ">=7.0.0"}},
		{Name: "symfony/event-dispatcher", Version: "v7.4.13"},
		{Name: "symfony/http-kernel", Version: "v7.4.13", Require: req{"symfony/event-dispatcher": "^7.4.13"}},
		{Name: "acme/dev-tool", Version: "1.1.0"},
	},
	oldRoot: composerrepo.Root{
		Name:       "acme/mcp-server",
		Require:    req{"php": ">=8.1", "mcp/sdk": "^0.4", "symfony/mcp-bundle": "^0.8 || ^0.9", "symfony/http-kernel": "^7.4"},
		RequireDev: req{"acme/dev-tool": "^1.2"},
	},
	newRoot: composerrepo.Root{
		Name:       "acme/mcp-server",
		Require:    req{"php": ">=8.1", "mcp/sdk": "0.5.0", "symfony/mcp-bundle": "^0.8 || ^0.9", "symfony/http-kernel": "^7.4"},
		RequireDev: req{"acme/dev-tool": "~1.1.0"},
	},
}

// virtualScenario couples through names that no package of that name
// answers to: acme/core 2.0 replaces acme/polyfill, which the new lock
// drops, while the unchanged acme/user needs one or the other; acme/logger
// provides psr/log-implementation, whose old version the old acme/app-lib
// requires; and the old acme/tool conflicts with the new logger.
var virtualScenario = scenario{
	unchanged: []composerrepo.Package{
		{Name: "acme/user", Version: "1.0.0", Require: req{"acme/polyfill": "^1.0 || ^2.0"}},
	},
	old: []composerrepo.Package{
		{Name: "acme/polyfill", Version: "1.2.0"},
		{Name: "acme/core", Version: "1.0.0"},
		{Name: "acme/logger", Version: "1.0.0", Provide: req{"psr/log-implementation": "1.0.0"}},
		{Name: "acme/app-lib", Version: "1.0.0", Require: req{"psr/log-implementation": "^1.0"}},
		{Name: "acme/tool", Version: "1.0.0", Conflict: req{"acme/logger": ">=2.0"}},
	},
	new: []composerrepo.Package{
		{Name: "acme/core", Version: "2.0.0", Replace: req{"acme/polyfill": "self.version"}},
		{Name: "acme/logger", Version: "2.0.0", Provide: req{"psr/log-implementation": "2.0.0"}},
		{Name: "acme/app-lib", Version: "1.1.0", Require: req{"psr/log-implementation": "^1.0 || ^2.0"}},
		{Name: "acme/tool", Version: "1.1.0"},
	},
	oldRoot: composerrepo.Root{Require: req{"acme/user": "^1.0", "acme/core": "^1.0", "acme/logger": "^1.0", "acme/app-lib": "^1.0", "acme/tool": "^1.0"}},
	newRoot: composerrepo.Root{Require: req{"acme/user": "^1.0", "acme/core": "^2.0", "acme/logger": "^2.0", "acme/app-lib": "^1.1", "acme/tool": "^1.1"}},
}

// realLocks has composer resolve the old and the new project, each against
// its own artifact repository, and returns the two project directories.
func realLocks(t *testing.T, c *composerrepo.Composer, sc scenario) (oldDir, newDir string) {
	t.Helper()
	ctx := context.Background()
	base := t.TempDir()
	for _, side := range []struct {
		name string
		pkgs []composerrepo.Package
		root composerrepo.Root
	}{{"old", sc.old, sc.oldRoot}, {"new", sc.new, sc.newRoot}} {
		repo := filepath.Join(base, side.name+"-repo")
		dir := filepath.Join(base, side.name)
		for _, d := range []string{repo, dir} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		composerrepo.Write(t, repo, append(side.pkgs, sc.unchanged...)...)
		composerrepo.WriteRoot(t, dir, repo, side.root)
		if out, err := c.Run(ctx, dir, "update", "--no-install"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	return filepath.Join(base, "old"), filepath.Join(base, "new")
}

func openDirs(t testing.TB, oldDir, newDir string) *set {
	t.Helper()
	ctx := context.Background()
	old, err := manifests.Read(ctx, filepath.Join(oldDir, "composer.lock"), "", Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	nw, err := manifests.Read(ctx, filepath.Join(newDir, "composer.lock"), "", Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Ecosystem{}.Open(ctx, old, nw, manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*set)
}

// TestRealComposerEverySubset builds the candidate of every subset of
// units and has the real composer install each one: composer must succeed
// exactly on the candidates the static check calls feasible, and those must
// be exactly the subsets closed under the edges.
func TestRealComposerEverySubset(t *testing.T) {
	c := composerrepo.New(t)
	t.Run("mcp", func(t *testing.T) {
		// 2 (dev tool) × 3 (event-dispatcher, http-kernel) × 4 (clock, chain, assert)
		s := everySubset(t, c, mcpScenario, 24)
		d := s.Diff()
		unitOf := unitsByPackage(d)
		chain := []string{"mcp/sdk", "phpdocumentor/reflection-docblock", "phpdocumentor/type-resolver", "symfony/mcp-bundle"}
		for _, p := range chain {
			if unitOf[p] != unitOf[chain[0]] {
				t.Errorf("%s is in unit %q, want the unit of mcp/sdk (%q); units %+v", p, unitOf[p], unitOf[chain[0]], d.Units)
			}
		}
		if !strings.Contains(d.Unit(unitOf["mcp/sdk"]).Reason, "symfony/mcp-bundle 0.9.0 requires mcp/sdk ^0.5") {
			t.Errorf("chain reason %q does not say why mcp-bundle moves with mcp/sdk", d.Unit(unitOf["mcp/sdk"]).Reason)
		}
		wantEdges(t, d, [][2]string{
			{"mcp/sdk", "psr/clock"},
			{"webmozart/assert", "mcp/sdk"},
			{"symfony/http-kernel", "symfony/event-dispatcher"},
		})
	})
	t.Run("virtual", func(t *testing.T) {
		// 2 (core with polyfill) × 5 (logger needs app-lib and tool)
		s := everySubset(t, c, virtualScenario, 10)
		d := s.Diff()
		unitOf := unitsByPackage(d)
		if unitOf["acme/core"] != unitOf["acme/polyfill"] {
			t.Errorf("acme/core and acme/polyfill in units %q and %q, want one", unitOf["acme/core"], unitOf["acme/polyfill"])
		}
		wantEdges(t, d, [][2]string{
			{"acme/logger", "acme/app-lib"},
			{"acme/logger", "acme/tool"},
		})
	})
}

func unitsByPackage(d *manifests.Diff) map[string]string {
	m := map[string]string{}
	for _, u := range d.Units {
		for _, p := range u.Packages {
			m[p] = u.ID
		}
	}
	return m
}

// wantEdges checks that the edges between units are exactly those between
// the units of the given packages.
func wantEdges(t *testing.T, d *manifests.Diff, pairs [][2]string) {
	t.Helper()
	unitOf := unitsByPackage(d)
	want := map[[2]string]bool{}
	for _, p := range pairs {
		want[[2]string{unitOf[p[0]], unitOf[p[1]]}] = true
	}
	for _, e := range d.Edges {
		if !want[[2]string{e.From, e.To}] {
			t.Errorf("unexpected edge %+v", e)
		}
		delete(want, [2]string{e.From, e.To})
	}
	for e := range want {
		t.Errorf("missing edge %s → %s", e[0], e[1])
	}
}

// everySubset installs the candidate of every subset of the scenario's
// units with composer and compares each outcome with the static check and
// with closure under the edges.
func everySubset(t *testing.T, tool *composerrepo.Composer, sc scenario, wantFeasible int) *set {
	start := time.Now()
	oldDir, newDir := realLocks(t, tool, sc)
	s := openDirs(t, oldDir, newDir)
	d := s.Diff()

	type result struct {
		applied          []string
		feasible, closed bool
		installed        bool
		problems, output string
	}
	n := len(d.Units)
	results := map[string]result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	// The suite gives the old and the new lock first; they are installed
	// one at a time: between them they download every zip into the shared
	// cache, so that the parallel installs only read it (two composers
	// writing one cache entry at once fail in Filesystem::rename).
	installs := 0
	root := t
	manifeststest.EverySubset(t, s, func(t *testing.T, applied []string, c *manifests.Candidate) {
		cand, problems, err := s.build(applied, nil)
		if err != nil {
			t.Fatal(err)
		}
		closed, _ := manifests.Closed(applied, d.Edges)
		r := result{applied: applied, feasible: len(problems) == 0, closed: closed, problems: strings.Join(problems, "; ")}
		if r.feasible != (c != nil) {
			t.Errorf("%v: Candidate (built %v) disagrees with build (problems %q)", applied, c != nil, r.problems)
		}
		dir := root.TempDir() // the install outlives the subtest
		for _, f := range []string{"composer.json", "composer.lock"} {
			if _, ok := cand.Files[f]; !ok {
				t.Fatalf("%v: candidate has no %s", applied, f)
			}
		}
		if err := cand.Write(dir); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		install := func(r result) {
			defer func() { <-sem; wg.Done() }()
			out, err := tool.Run(context.Background(), dir, "install", "--no-autoloader", "--no-progress")
			r.installed, r.output = err == nil, out
			mu.Lock()
			results[fmt.Sprint(r.applied)] = r
			mu.Unlock()
		}
		if installs++; installs <= 2 {
			install(r)
		} else {
			go install(r)
		}
	})
	wg.Wait()
	feasible := 0
	for _, r := range results {
		if r.feasible {
			feasible++
		}
		if r.feasible != r.closed {
			t.Errorf("%v: static check feasible=%v (%s) but closed under the edges=%v", r.applied, r.feasible, r.problems, r.closed)
		}
		if strings.Contains(r.output, "not up to date") {
			t.Errorf("%v: composer calls the candidate lock stale:\n%s", r.applied, r.output)
		}
		if r.feasible != r.installed {
			t.Errorf("%v: static check feasible=%v (%s) but composer install succeeded=%v:\n%s", r.applied, r.feasible, r.problems, r.installed, r.output)
		}
	}
	if feasible != wantFeasible {
		t.Errorf("%d feasible subsets, want %d", feasible, wantFeasible)
	}
	t.Logf("%d subsets of %d units, %d feasible, each installed by composer; %s", len(results), n, feasible, time.Since(start).Round(time.Millisecond))
	return s
}
