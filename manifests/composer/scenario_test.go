package composer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"github.com/lockbisect/lockbisect/manifests"
)

type req = map[string]string

// The scenario of the motivating case: mcp/sdk 0.4 → 0.5 drags
// symfony/mcp-bundle, reflection-docblock and type-resolver with it (one
// cycle), adds psr/clock and drops webmozart/assert; two Symfony components
// move with a one-way requirement; a dev tool is downgraded; and the new
// composer.json pins mcp/sdk and the dev tool so that rolling them back
// needs the old root constraints.
var (
	unchangedPkgs = []composerrepo.Package{
		{Name: "phpdocumentor/reflection-common", Version: "2.2.0", Require: req{"php": ">=7.2"}},
	}
	oldPkgs = []composerrepo.Package{
		{Name: "mcp/sdk", Version: "0.4.0", Require: req{"php": ">=8.1", "phpdocumentor/reflection-docblock": "^5.3"}},
		{Name: "symfony/mcp-bundle", Version: "0.8.0", Require: req{"mcp/sdk": "^0.4", "symfony/http-kernel": "^7.4"}},
		{Name: "phpdocumentor/reflection-docblock", Version: "5.6.0", Require: req{"phpdocumentor/type-resolver": "^1.7", "webmozart/assert": "^1.9", "ext-filter": "*"}},
		{Name: "phpdocumentor/type-resolver", Version: "1.10.0", Require: req{"phpdocumentor/reflection-common": "^2.0"}},
		{Name: "webmozart/assert", Version: "1.11.0", Require: req{"php": "^7.2 || ^8.0"}},
		{Name: "symfony/event-dispatcher", Version: "v7.4.8"},
		{Name: "symfony/http-kernel", Version: "v7.4.8", Require: req{"symfony/event-dispatcher": "^7.4"}},
		{Name: "acme/dev-tool", Version: "1.2.0"},
	}
	newPkgs = []composerrepo.Package{
		{Name: "mcp/sdk", Version: "0.5.0", Require: req{"php": ">=8.1", "phpdocumentor/reflection-docblock": "^6.0", "psr/clock": "^1.0"}},
		{Name: "symfony/mcp-bundle", Version: "0.9.0", Require: req{"mcp/sdk": "^0.5", "symfony/http-kernel": "^7.4"}},
		{Name: "phpdocumentor/reflection-docblock", Version: "6.0.0", Require: req{"phpdocumentor/type-resolver": "^2.0"}},
		{Name: "phpdocumentor/type-resolver", Version: "2.0.0", Require: req{"phpdocumentor/reflection-common": "^2.0"}, Conflict: req{"phpdocumentor/reflection-docblock": "<6.0"}},
		{Name: "psr/clock", Version: "1.0.0", Require: req{"php": ">=7.0.0"}},
		{Name: "symfony/event-dispatcher", Version: "v7.4.13"},
		{Name: "symfony/http-kernel", Version: "v7.4.13", Require: req{"symfony/event-dispatcher": "^7.4.13"}},
		{Name: "acme/dev-tool", Version: "1.1.0"},
	}
	oldRootReq = composerrepo.Root{
		Name:       "acme/mcp-server",
		Require:    req{"php": ">=8.1", "mcp/sdk": "^0.4", "symfony/mcp-bundle": "^0.8 || ^0.9", "symfony/http-kernel": "^7.4"},
		RequireDev: req{"acme/dev-tool": "^1.2"},
	}
	newRootReq = composerrepo.Root{
		Name:       "acme/mcp-server",
		Require:    req{"php": ">=8.1", "mcp/sdk": "0.5.0", "symfony/mcp-bundle": "^0.8 || ^0.9", "symfony/http-kernel": "^7.4"},
		RequireDev: req{"acme/dev-tool": "~1.1.0"},
	}
)

// realLocks has composer resolve the old and the new project, each against
// its own artifact repository, and returns the two project directories.
func realLocks(t *testing.T, c *composerrepo.Composer) (oldDir, newDir string) {
	t.Helper()
	ctx := context.Background()
	base := t.TempDir()
	for _, side := range []struct {
		name string
		pkgs []composerrepo.Package
		root composerrepo.Root
	}{{"old", oldPkgs, oldRootReq}, {"new", newPkgs, newRootReq}} {
		repo := filepath.Join(base, side.name+"-repo")
		dir := filepath.Join(base, side.name)
		for _, d := range []string{repo, dir} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		composerrepo.Write(t, repo, append(side.pkgs, unchangedPkgs...)...)
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
	start := time.Now()
	oldDir, newDir := realLocks(t, c)
	s := openDirs(t, oldDir, newDir)
	d := s.Diff()

	unitOf := map[string]string{}
	for _, u := range d.Units {
		for _, p := range u.Packages {
			unitOf[p] = u.ID
		}
	}
	chain := []string{"mcp/sdk", "phpdocumentor/reflection-docblock", "phpdocumentor/type-resolver", "symfony/mcp-bundle"}
	for _, p := range chain {
		if unitOf[p] != unitOf[chain[0]] {
			t.Fatalf("%s is in unit %q, want the unit of mcp/sdk (%q); units %+v", p, unitOf[p], unitOf[chain[0]], d.Units)
		}
	}
	if len(d.Units) != 6 {
		t.Fatalf("%d units, want 6: %+v", len(d.Units), d.Units)
	}
	if !strings.Contains(d.Unit(unitOf["mcp/sdk"]).Reason, "symfony/mcp-bundle 0.9.0 requires mcp/sdk ^0.5") {
		t.Errorf("chain reason %q does not say why mcp-bundle moves with mcp/sdk", d.Unit(unitOf["mcp/sdk"]).Reason)
	}
	wantEdges := map[[2]string]bool{
		{unitOf["mcp/sdk"], unitOf["psr/clock"]}:                            true,
		{unitOf["webmozart/assert"], unitOf["mcp/sdk"]}:                     true,
		{unitOf["symfony/http-kernel"], unitOf["symfony/event-dispatcher"]}: true,
	}
	for _, e := range d.Edges {
		if !wantEdges[[2]string{e.From, e.To}] {
			t.Errorf("unexpected edge %+v", e)
		}
		delete(wantEdges, [2]string{e.From, e.To})
	}
	for e := range wantEdges {
		t.Errorf("missing edge %s → %s", e[0], e[1])
	}

	type result struct {
		applied          []string
		feasible, closed bool
		installed        bool
		problems, output string
	}
	n := len(d.Units)
	results := make([]result, 1<<n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	// The old and the new lock go first, one at a time: between them they
	// download every zip into the shared cache, so that the parallel
	// installs only read it (two composers writing one cache entry at
	// once fail in Filesystem::rename).
	full := 1<<n - 1
	masks := []int{0, full}
	for mask := 1; mask < full; mask++ {
		masks = append(masks, mask)
	}
	for i, mask := range masks {
		var applied []string
		for i, u := range d.Units {
			if mask&(1<<i) != 0 {
				applied = append(applied, u.ID)
			}
		}
		cand, problems, err := s.build(applied)
		if err != nil {
			t.Fatal(err)
		}
		closed, _ := manifests.Closed(applied, d.Edges)
		r := result{applied: applied, feasible: len(problems) == 0, closed: closed, problems: strings.Join(problems, "; ")}
		if _, err := s.Candidate(applied); r.feasible != (err == nil) || (err != nil && !errors.Is(err, manifests.ErrInfeasible)) {
			t.Errorf("%v: Candidate error %v disagrees with build (problems %q)", applied, err, r.problems)
		}
		dir := t.TempDir()
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
		install := func(mask int, r result) {
			defer func() { <-sem; wg.Done() }()
			out, err := c.Run(context.Background(), dir, "install", "--no-autoloader", "--no-progress")
			r.installed, r.output = err == nil, out
			results[mask] = r
		}
		if i < 2 {
			install(mask, r)
		} else {
			go install(mask, r)
		}
	}
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
	// 2 (dev tool) × 3 (event-dispatcher, http-kernel) × 4 (clock, chain, assert).
	if feasible != 24 {
		t.Errorf("%d feasible subsets, want 24", feasible)
	}
	t.Logf("%d subsets of %d units, %d feasible, each installed by composer; %s", len(results), n, feasible, time.Since(start).Round(time.Millisecond))
}
