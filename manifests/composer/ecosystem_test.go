package composer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func snapshot(t testing.TB, ref string, files map[string]string) *manifests.Snapshot {
	t.Helper()
	s := &manifests.Snapshot{Ref: ref, Path: "composer.lock", Files: map[string][]byte{}}
	for k, v := range files {
		s.Files[k] = []byte(v)
	}
	return s
}

func openFixture(t testing.TB, name string) *set {
	t.Helper()
	dir := filepath.Join("testdata", name)
	return openDirs(t, filepath.Join(dir, "old"), filepath.Join(dir, "new"))
}

// TestDiffGolden compares the diff of a pair of locks written by the real
// composer (testdata/mcp, see scenario_test.go) with testdata/mcp/diff.golden.
// Refresh with: go test ./manifests/composer -run TestDiffGolden -update
func TestDiffGolden(t *testing.T) {
	s := openFixture(t, "mcp")
	got, err := json.MarshalIndent(s.Diff(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "mcp", "diff.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("diff differs from %s (run with -update to accept):\n%s", golden, got)
	}
}

func TestCandidateBytes(t *testing.T) {
	s := openFixture(t, "mcp")
	newLock, err := os.ReadFile("testdata/mcp/new/composer.lock")
	if err != nil {
		t.Fatal(err)
	}
	newJSON, err := os.ReadFile("testdata/mcp/new/composer.json")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, u := range s.Diff().Units {
		all = append(all, u.ID)
	}
	full, err := s.Candidate(all)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(full.Files["composer.lock"], newLock) {
		t.Errorf("the full set's lock is not the new lock byte for byte:\n%s", full.Files["composer.lock"])
	}
	if !bytes.Equal(full.Files["composer.json"], newJSON) {
		t.Errorf("the full set's composer.json is not the new one:\n%s", full.Files["composer.json"])
	}

	empty, err := s.Candidate(nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Candidate([]string{})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Hash() != again.Hash() || empty.Hash() == full.Hash() {
		t.Errorf("hashes: empty %s, empty again %s, full %s", empty.Hash(), again.Hash(), full.Hash())
	}
	old, err := parseLock("old", mustRead(t, "testdata/mcp/old/composer.lock"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseLock("candidate", empty.Files["composer.lock"])
	if err != nil {
		t.Fatal(err)
	}
	if len(got.pkgs) != len(old.pkgs) {
		t.Fatalf("empty candidate locks %d packages, the old lock %d", len(got.pkgs), len(old.pkgs))
	}
	for k, e := range old.pkgs {
		g := got.pkgs[k]
		if g == nil || g.Version != e.Version || g.Dev != e.Dev {
			t.Errorf("empty candidate has %s as %+v, want the old %s (dev %v)", k, g, e.Version, e.Dev)
		}
	}
	// Rolling back the pinned mcp/sdk and the dev tool takes their old root
	// constraints; nothing else in composer.json changes.
	wantJSON := strings.Replace(string(newJSON), `"mcp/sdk": "0.5.0"`, `"mcp/sdk": "^0.4"`, 1)
	wantJSON = strings.Replace(wantJSON, `"acme/dev-tool": "~1.1.0"`, `"acme/dev-tool": "^1.2"`, 1)
	if string(empty.Files["composer.json"]) != wantJSON {
		t.Errorf("empty candidate's composer.json:\n%s\nwant:\n%s", empty.Files["composer.json"], wantJSON)
	}
	// Its lock carries the content-hash of that composer.json.
	h, err := contentHash(empty.Files["composer.json"])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(empty.Files["composer.lock"], []byte(`"content-hash": "`+h+`"`)) {
		t.Errorf("empty candidate's lock does not carry content-hash %s", h)
	}

	// Subsets in a different order and with repeats name the same candidate.
	a, err := s.Candidate([]string{"u4", "u1", "u4"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Candidate([]string{"u1", "u4"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() || strings.Join(a.Applied, ",") != "u1,u4" {
		t.Errorf("applied %v hash %s vs applied %v hash %s", a.Applied, a.Hash(), b.Applied, b.Hash())
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCandidateErrors(t *testing.T) {
	s := openFixture(t, "mcp")
	unit := map[string]string{}
	for _, u := range s.Diff().Units {
		for _, p := range u.Packages {
			unit[p] = u.ID
		}
	}
	tests := []struct {
		name       string
		applied    []string
		infeasible bool
		want       []string
	}{
		{"unknown unit", []string{"u99"}, false, []string{`unknown unit "u99"`}},
		{"kernel without event-dispatcher", []string{unit["symfony/http-kernel"]}, true,
			[]string{"symfony/http-kernel v7.4.13 requires symfony/event-dispatcher ^7.4.13, but the candidate locks symfony/event-dispatcher v7.4.8"}},
		{"sdk without psr/clock", []string{unit["mcp/sdk"]}, true,
			[]string{"mcp/sdk 0.5.0 requires psr/clock ^1.0, but the candidate locks no psr/clock"}},
		{"assert removed under the old docblock", []string{unit["webmozart/assert"]}, true,
			[]string{"phpdocumentor/reflection-docblock 5.6.0 requires webmozart/assert ^1.9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Candidate(tt.applied)
			if err == nil {
				t.Fatalf("Candidate(%v) succeeded with %v", tt.applied, c.Applied)
			}
			if errors.Is(err, manifests.ErrInfeasible) != tt.infeasible {
				t.Errorf("errors.Is(ErrInfeasible) = %v, want %v: %v", !tt.infeasible, tt.infeasible, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if err := s.Validate(context.Background(), t.TempDir(), nil); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// lockOf builds a composer.lock in composer's layout from entries given as
// JSON objects.
func lockOf(entries ...string) string {
	var b strings.Builder
	b.WriteString("{\n    \"content-hash\": \"x\",\n    \"packages\": [")
	for i, e := range entries {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n        " + e)
	}
	b.WriteString("\n    ],\n    \"packages-dev\": []\n}\n")
	return b.String()
}

func TestDiffKinds(t *testing.T) {
	old := lockOf(
		`{"name": "a/down", "version": "2.0.0"}`,
		`{"name": "a/gone", "version": "1.0.0"}`,
		`{"name": "a/same", "version": "1.0.0", "require": {"php": ">=9", "ext-json": "*", "a/up": "^1.0"}}`,
		`{"name": "a/up", "version": "v1.9.0"}`,
		`{"name": "a/branch", "version": "dev-main", "source": {"type": "git", "url": "x", "reference": "1111111111aaaa"}, "time": "2026-01-01T00:00:00+00:00"}`,
	)
	nw := lockOf(
		`{"name": "a/branch", "version": "dev-main", "source": {"type": "git", "url": "x", "reference": "2222222222bbbb"}, "time": "2026-02-01T00:00:00+00:00"}`,
		`{"name": "a/down", "version": "1.9.9"}`,
		`{"name": "a/new", "version": "0.1.0"}`,
		`{"name": "a/same", "version": "1.0.0", "require": {"php": ">=9", "ext-json": "*", "a/up": "^1.0"}}`,
		`{"name": "a/up", "version": "v1.10.0"}`,
	)
	root := `{"require": {"a/up": "^1.0"}, "require-dev": {"A/Down": "*"}}`
	set, err := Ecosystem{}.Open(context.Background(),
		snapshot(t, "old.lock", map[string]string{"composer.lock": old}),
		snapshot(t, "new.lock", map[string]string{"composer.lock": nw, "composer.json": root}),
		manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := set.Diff()
	want := []manifests.Change{
		{Package: "a/branch", From: "dev-main 1111111", To: "dev-main 2222222", Kind: manifests.Upgrade},
		{Package: "a/down", From: "2.0.0", To: "1.9.9", Kind: manifests.Downgrade, Direct: true},
		{Package: "a/gone", From: "1.0.0", Kind: manifests.Removed},
		{Package: "a/new", To: "0.1.0", Kind: manifests.Added},
		{Package: "a/up", From: "v1.9.0", To: "v1.10.0", Kind: manifests.Upgrade, Direct: true},
	}
	if len(d.Changes) != len(want) {
		t.Fatalf("changes = %+v, want %+v", d.Changes, want)
	}
	for i := range want {
		if d.Changes[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, d.Changes[i], want[i])
		}
	}
	if len(d.Units) != len(want) || len(d.Edges) != 0 {
		t.Errorf("independent changes gave units %+v and edges %+v (platform requirements must not couple)", d.Units, d.Edges)
	}
	if js, _ := json.Marshal(d); !strings.Contains(string(js), `"edges":[]`) {
		t.Errorf("no edges must encode as [], got %s", js)
	}
}

// TestCoupling covers the forces one at a time on two-package locks.
func TestCoupling(t *testing.T) {
	tests := []struct {
		name     string
		old, new []string
		units    int    // number of units
		edge     string // "from>to" by package, or "" for none
		reason   string
	}{
		{
			name:  "new requirer needs the upgrade",
			old:   []string{`{"name": "x/r", "version": "1.0.0", "require": {"x/p": ">=1.0"}}`, `{"name": "x/p", "version": "1.0.0"}`},
			new:   []string{`{"name": "x/r", "version": "2.0.0", "require": {"x/p": "^2.0"}}`, `{"name": "x/p", "version": "2.0.0"}`},
			units: 2, edge: "x/r>x/p", reason: "x/r 2.0.0 requires x/p ^2.0",
		},
		{
			name:  "old requirer blocks the upgrade",
			old:   []string{`{"name": "x/r", "version": "1.0.0", "require": {"x/p": "~1.0.0"}}`, `{"name": "x/p", "version": "1.0.0"}`},
			new:   []string{`{"name": "x/r", "version": "1.1.0", "require": {"x/p": "^1.0"}}`, `{"name": "x/p", "version": "1.1.0"}`},
			units: 2, edge: "x/p>x/r", reason: "x/r 1.0.0 requires x/p ~1.0.0",
		},
		{
			name:  "both ways is one unit",
			old:   []string{`{"name": "x/r", "version": "1.0.0", "require": {"x/p": "^1.0"}}`, `{"name": "x/p", "version": "1.0.0"}`},
			new:   []string{`{"name": "x/r", "version": "2.0.0", "require": {"x/p": "^2.0"}}`, `{"name": "x/p", "version": "2.0.0"}`},
			units: 2, edge: "x/r>x/p",
		},
		{
			name:  "conflict of the old entry",
			old:   []string{`{"name": "x/r", "version": "1.0.0", "conflict": {"x/p": ">=2.0"}}`, `{"name": "x/p", "version": "1.0.0"}`},
			new:   []string{`{"name": "x/r", "version": "1.1.0"}`, `{"name": "x/p", "version": "2.0.0"}`},
			units: 2, edge: "x/p>x/r", reason: "x/r 1.0.0 conflicts with x/p >=2.0",
		},
		{
			name:  "replace of a removed package",
			old:   []string{`{"name": "x/r", "version": "1.0.0"}`, `{"name": "x/p", "version": "1.0.0"}`},
			new:   []string{`{"name": "x/r", "version": "2.0.0", "replace": {"x/p": "self.version"}}`},
			units: 2, edge: "x/r>x/p", reason: "x/r 2.0.0 replaces x/p",
		},
		{
			name:  "requirement satisfied by a provider",
			old:   []string{`{"name": "x/r", "version": "1.0.0", "require": {"psr/impl": "1.0"}}`, `{"name": "x/p", "version": "1.0.0", "provide": {"psr/impl": "1.0"}}`},
			new:   []string{`{"name": "x/r", "version": "1.0.1"}`, `{"name": "x/p", "version": "2.0.0"}`},
			units: 2, edge: "x/p>x/r", reason: "x/r 1.0.0 requires psr/impl 1.0 (provided by x/p)",
		},
		{
			name: "unchanged requirer, provider swap",
			old: []string{`{"name": "x/user", "version": "1.0.0", "require": {"psr/impl": "^1.0"}}`,
				`{"name": "x/a", "version": "1.0.0", "provide": {"psr/impl": "1.0.0"}}`, `{"name": "x/b", "version": "1.0.0"}`},
			new: []string{`{"name": "x/user", "version": "1.0.0", "require": {"psr/impl": "^1.0"}}`,
				`{"name": "x/a", "version": "2.0.0"}`, `{"name": "x/b", "version": "2.0.0", "provide": {"psr/impl": "1.1.0"}}`},
			units: 2, edge: "x/a>x/b", reason: "x/user 1.0.0 requires psr/impl ^1.0, which x/a 1.0.0 and x/b 2.0.0 satisfy",
		},
		{
			// An unparsable conflict constraint must not make every
			// version conflict; self.version is the declaring entry's own.
			name:  "conflict constraints that do not apply never couple",
			old:   []string{`{"name": "x/a", "version": "1.0.0", "conflict": {"x/b": "self.version"}}`, `{"name": "x/b", "version": "2.0.0"}`},
			new:   []string{`{"name": "x/a", "version": "1.1.0", "conflict": {"x/b": ">= 1.0 - 2.0"}}`, `{"name": "x/b", "version": "2.1.0"}`},
			units: 2,
		},
		{
			name:  "self.version in a require is the requirer's version",
			old:   []string{`{"name": "x/totp", "version": "v1.0.0", "require": {"x/bundle": "self.version"}}`, `{"name": "x/bundle", "version": "v1.0.0"}`},
			new:   []string{`{"name": "x/totp", "version": "v1.1.0", "require": {"x/bundle": "self.version"}}`, `{"name": "x/bundle", "version": "v1.1.0"}`},
			units: 1,
		},
		{
			// The alias of dev-main requires the bundle at the alias's
			// version too, which the new bundle's alias no longer is.
			name: "self.version of a branch alias",
			old: []string{`{"name": "x/totp", "version": "dev-main", "source": {"reference": "a1"}, "extra": {"branch-alias": {"dev-main": "1.x-dev"}}, "require": {"x/bundle": "self.version"}}`,
				`{"name": "x/bundle", "version": "dev-main", "source": {"reference": "b1"}, "extra": {"branch-alias": {"dev-main": "1.x-dev"}}}`},
			new: []string{`{"name": "x/totp", "version": "dev-main", "source": {"reference": "a2"}, "extra": {"branch-alias": {"dev-main": "2.x-dev"}}, "require": {"x/bundle": "self.version"}}`,
				`{"name": "x/bundle", "version": "dev-main", "source": {"reference": "b2"}, "extra": {"branch-alias": {"dev-main": "2.x-dev"}}}`},
			units: 1,
		},
		{
			name:  "a replaced range that does not meet a conflict never couples",
			old:   []string{`{"name": "x/guard", "version": "1.0.0", "conflict": {"x/mailer": "<5.4"}}`, `{"name": "x/bridge", "version": "1.0.0", "replace": {"x/mailer": "^5.4"}}`},
			new:   []string{`{"name": "x/guard", "version": "1.1.0", "conflict": {"x/mailer": "<5.4"}}`, `{"name": "x/bridge", "version": "2.0.0", "replace": {"x/mailer": "^6.0"}}`},
			units: 2,
		},
		{
			name:  "a replaced range that meets a conflict couples",
			old:   []string{`{"name": "x/guard", "version": "1.0.0", "conflict": {"x/mailer": ">=6.0"}}`, `{"name": "x/bridge", "version": "1.0.0", "replace": {"x/mailer": "^5.4"}}`},
			new:   []string{`{"name": "x/guard", "version": "1.1.0"}`, `{"name": "x/bridge", "version": "2.0.0", "replace": {"x/mailer": "^6.0"}}`},
			units: 2, edge: "x/bridge>x/guard", reason: "x/guard 1.0.0 conflicts with x/mailer >=6.0",
		},
		{
			name:  "platform requirements never couple",
			old:   []string{`{"name": "x/r", "version": "1.0.0", "require": {"php": "^7.4"}}`, `{"name": "x/p", "version": "1.0.0"}`},
			new:   []string{`{"name": "x/r", "version": "2.0.0", "require": {"php": "^8.2"}}`, `{"name": "x/p", "version": "2.0.0"}`},
			units: 2,
		},
	}
	tests[2].new[1] = `{"name": "x/p", "version": "2.0.0", "require": {"x/r": "^2.0"}}`
	tests[2].units, tests[2].edge = 1, ""
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Ecosystem{}.Open(context.Background(),
				snapshot(t, "old", map[string]string{"composer.lock": lockOf(tt.old...)}),
				snapshot(t, "new", map[string]string{"composer.lock": lockOf(tt.new...)}),
				manifests.Options{})
			if err != nil {
				t.Fatal(err)
			}
			d := set.Diff()
			if len(d.Units) != tt.units {
				t.Fatalf("units = %+v, want %d", d.Units, tt.units)
			}
			byPkg := map[string]string{}
			for _, u := range d.Units {
				for _, p := range u.Packages {
					byPkg[p] = u.ID
				}
			}
			var got string
			for _, e := range d.Edges {
				for p, id := range byPkg {
					if id == e.From {
						got = p + got
					}
					if id == e.To {
						got += ">" + p
					}
				}
				if tt.reason != "" && e.Reason != tt.reason {
					t.Errorf("reason = %q, want %q", e.Reason, tt.reason)
				}
			}
			if len(d.Edges) > 1 || got != tt.edge {
				t.Errorf("edges = %+v (%q), want %q", d.Edges, got, tt.edge)
			}
			// Every closed subset must be feasible, every other one not.
			for mask := 0; mask < 1<<len(d.Units); mask++ {
				var applied []string
				for i, u := range d.Units {
					if mask&(1<<i) != 0 {
						applied = append(applied, u.ID)
					}
				}
				closed, _ := manifests.Closed(applied, d.Edges)
				if _, err := set.Candidate(applied); (err == nil) != closed {
					t.Errorf("%v: closed=%v but Candidate error %v", applied, closed, err)
				}
			}
		})
	}
}

// TestCandidateConcurrent asks for candidates from parallel goroutines, as
// parallel probes do; run with -race it guards the set's memos.
func TestCandidateConcurrent(t *testing.T) {
	s := openFixture(t, "mcp")
	want, err := s.Candidate([]string{"u1", "u3"})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			c, err := s.Candidate([]string{"u3", "u1"})
			if err == nil && c.Hash() != want.Hash() {
				err = errors.New("hash differs: " + c.Hash())
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	good := lockOf(`{"name": "a/b", "version": "1.0.0"}`)
	tests := []struct {
		name     string
		old, new map[string]string
		want     string
	}{
		{"no lock", map[string]string{"composer.json": "{}"}, map[string]string{"composer.lock": good}, "old.lock: no composer.lock in the snapshot"},
		{"bad new lock", map[string]string{"composer.lock": good}, map[string]string{"composer.lock": "{\n\"packages\": [1]}"}, "new.lock: line 2: packages[0]: unexpected '1', expecting a package object"},
		{"bad composer.json", map[string]string{"composer.lock": good}, map[string]string{"composer.lock": good, "composer.json": "{\"require\": []"}, "composer.json beside new.lock: line 1: unexpected end of file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Ecosystem{}.Open(context.Background(), snapshot(t, "old.lock", tt.old), snapshot(t, "new.lock", tt.new), manifests.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %v, want %q", err, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Ecosystem{}).Open(ctx, snapshot(t, "old", map[string]string{"composer.lock": good}), snapshot(t, "new", map[string]string{"composer.lock": good}), manifests.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestRootLinks covers how a candidate's composer.json takes the root's
// replace from the old composer.json where the candidate needs it: the new
// root replaces x/poly-c (which only the old lock has) and no longer
// x/poly-a (which only the new lock has), in each layout the section can
// have.
func TestRootLinks(t *testing.T) {
	old := lockOf(
		`{"name": "x/user", "version": "1.0.0", "require": {"x/poly-a": "^1.0", "x/poly-c": "^1.0"}}`,
		`{"name": "x/poly-c", "version": "1.0.0"}`,
	)
	oldRoot := `{"name": "x/app", "replace": {"x/poly-a": "*", "x/poly-b": "*"}}`
	tests := []struct {
		name, newRoot string
		empty         string // the composer.json of the candidate with nothing applied
	}{
		{"section kept", "{\n    \"name\": \"x/app\",\n    \"replace\": {\n        \"x/poly-b\": \"*\",\n        \"x/poly-c\": \"*\"\n    }\n}\n",
			"{\n    \"name\": \"x/app\",\n    \"replace\": {\n        \"x/poly-b\": \"*\",\n        \"x/poly-a\": \"*\"\n    }\n}\n"},
		{"only dropped", "{\n    \"name\": \"x/app\",\n    \"replace\": {\n        \"x/poly-a\": \"*\",\n        \"x/poly-b\": \"*\",\n        \"x/poly-c\": \"*\"\n    }\n}\n",
			"{\n    \"name\": \"x/app\",\n    \"replace\": {\n        \"x/poly-a\": \"*\",\n        \"x/poly-b\": \"*\"\n    }\n}\n"},
		{"section missing", "{\n    \"name\": \"x/app\"\n}\n",
			"{\n    \"name\": \"x/app\",\n    \"replace\": {\"x/poly-a\": \"*\"}\n}\n"},
		{"empty array", `{"name": "x/app", "replace": []}`, `{"name": "x/app", "replace": {"x/poly-a": "*"}}`},
		{"empty object", `{"replace": {}}`, `{"replace": {"x/poly-a": "*"}}`},
		{"empty file", `{}`, `{"replace": {"x/poly-a": "*"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The new lock has what the new root does not replace.
			var entries []string
			for _, p := range []string{"x/poly-a", "x/poly-c"} {
				if !strings.Contains(tt.newRoot, `"`+p+`"`) {
					entries = append(entries, `{"name": "`+p+`", "version": "1.0.0"}`)
				}
			}
			nl := lockOf(append(entries, `{"name": "x/user", "version": "1.0.0", "require": {"x/poly-a": "^1.0", "x/poly-c": "^1.0"}}`)...)
			set, err := Ecosystem{}.Open(context.Background(),
				snapshot(t, "old", map[string]string{"composer.lock": old, "composer.json": oldRoot}),
				snapshot(t, "new", map[string]string{"composer.lock": nl, "composer.json": tt.newRoot}),
				manifests.Options{})
			if err != nil {
				t.Fatal(err)
			}
			d := set.Diff()
			if len(d.Edges) != 0 {
				t.Errorf("edges %+v: the root's replace follows the candidate, it forces nothing", d.Edges)
			}
			empty, err := set.Candidate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(empty.Files["composer.json"]); got != tt.empty {
				t.Errorf("empty candidate's composer.json:\n%s\nwant:\n%s", got, tt.empty)
			}
			var all []string
			for _, u := range d.Units {
				all = append(all, u.ID)
			}
			full, err := set.Candidate(all)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(full.Files["composer.json"]); got != tt.newRoot {
				t.Errorf("full candidate's composer.json:\n%s\nwant the new one:\n%s", got, tt.newRoot)
			}
		})
	}
}

// TestInfeasibleMessages checks that a refused candidate names the
// package, its constraint and what the candidate holds instead.
func TestInfeasibleMessages(t *testing.T) {
	open := func(old, nw []string, oldRoot, newRoot string) *set {
		t.Helper()
		o := map[string]string{"composer.lock": lockOf(old...)}
		n := map[string]string{"composer.lock": lockOf(nw...)}
		if oldRoot != "" {
			o["composer.json"], n["composer.json"] = oldRoot, newRoot
		}
		s, err := Ecosystem{}.Open(context.Background(), snapshot(t, "old", o), snapshot(t, "new", n), manifests.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s.(*set)
	}
	split := open(
		[]string{`{"name": "x/bundle", "version": "v1.0.0"}`, `{"name": "x/totp", "version": "v1.0.0", "require": {"x/bundle": "self.version"}}`},
		[]string{`{"name": "x/bundle", "version": "v1.1.0"}`, `{"name": "x/totp", "version": "v1.1.0", "require": {"x/bundle": "self.version"}}`}, "", "")
	_, err := split.Pin([]string{"u1"}, manifests.Pin{Package: "x/bundle", Version: "v1.2.0", Entry: json.RawMessage(`{"name": "x/bundle", "version": "v1.2.0"}`)})
	want := "infeasible candidate: x/bundle at v1.2.0: x/totp v1.1.0 requires x/bundle self.version (v1.1.0), but the candidate locks x/bundle v1.2.0"
	if !errors.Is(err, manifests.ErrInfeasible) || err.Error() != want {
		t.Errorf("Pin error = %v\nwant %s", err, want)
	}

	// Both composer.json files replace x/poly, so a candidate that locks
	// it cannot be installed, whichever it takes.
	root := `{"name": "x/app", "replace": {"x/poly": "^1.0"}}`
	replaced := open([]string{`{"name": "x/user", "version": "1.0.0", "require": {"x/poly": "^1.0"}}`},
		[]string{`{"name": "x/user", "version": "1.1.0", "require": {"x/poly": "^1.0"}}`}, root, root)
	_, err = replaced.Pin(nil, manifests.Pin{Package: "x/user", Version: "1.2.0", Entry: json.RawMessage(`{"name": "x/user", "version": "1.2.0", "require": {"x/poly": "^2.0"}}`)})
	want = "infeasible candidate: x/user at 1.2.0: x/user 1.2.0 requires x/poly ^2.0, but the candidate locks x/app (replacing x/poly ^1.0)"
	if !errors.Is(err, manifests.ErrInfeasible) || err.Error() != want {
		t.Errorf("Pin error = %v\nwant %s", err, want)
	}
}
