package npm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

// TestDiff: the fabricated upgrade, as npm locked it, gives the expected
// changes, units and edges.
func TestDiff(t *testing.T) {
	p := makeProject(t)
	s := p.open(t)
	d := s.Diff()
	b, _ := json.MarshalIndent(d, "", "  ")
	t.Logf("%s", b)
	want := map[string]string{
		"acme-fast":   "added  1.0.0 direct=false dev=false",
		"acme-host":   "upgrade 1.0.0 2.0.0 direct=true dev=false",
		"acme-http":   "upgrade 1.0.0 1.1.0 direct=true dev=false",
		"acme-plugin": "upgrade 1.0.0 1.1.0 direct=true dev=false",
		"acme-sdk":    "upgrade 1.0.0 2.0.0 direct=true dev=false",
		"acme-test":   "upgrade 1.0.0 2.0.0 direct=true dev=true",
		"acme-util":   "upgrade 1.0.0 1.0.1 direct=false dev=false",
	}
	got := map[string]string{}
	for _, c := range d.Changes {
		if c.Package == "acme-json" {
			// hoisted 1.0.0 or 2.0.0, the other nested: npm decides
			if c.From != "1.0.0" || !strings.Contains(c.To, "1.0.0 at node_modules/") || !strings.Contains(c.To, "2.0.0 at node_modules/") {
				t.Errorf("acme-json: from %q to %q, want 1.0.0 to both versions with their paths", c.From, c.To)
			}
			continue
		}
		got[c.Package] = strings.Join([]string{string(c.Kind), c.From, c.To, "direct=" + boolStr(c.Direct), "dev=" + boolStr(c.Dev)}, " ")
	}
	for name, w := range want {
		if g := got[name]; g != w {
			t.Errorf("%s: %q, want %q", name, g, w)
		}
	}
	for _, c := range d.Changes {
		want := ""
		if c.Package == "acme-test" {
			want = "2.0.0 is deprecated: use acme-check" // npm keeps the message in the lock
		}
		if c.Retracted != want {
			t.Errorf("%s: retracted %q, want %q", c.Package, c.Retracted, want)
		}
	}
	if len(d.Changes) != len(want)+1 {
		t.Errorf("%d changes, want %d", len(d.Changes), len(want)+1)
	}
	unitOf := func(name string) string {
		for _, u := range d.Units {
			for _, p := range u.Packages {
				if p == name {
					return u.ID
				}
			}
		}
		return ""
	}
	if unitOf("acme-sdk") != unitOf("acme-json") {
		t.Errorf("acme-sdk and acme-json are in different units; the new sdk needs json 2 and the old one json 1 where it resolves")
	}
	if unitOf("acme-http") == unitOf("acme-fast") {
		t.Errorf("acme-fast, an optional dependency, is coupled to acme-http")
	}
	if ok, _ := manifests.Closed([]string{unitOf("acme-host")}, d.Edges); ok {
		t.Errorf("applying acme-host 2 alone is closed; the old plugin's peer range ^1.0.0 excludes it")
	}
	if ok, e := manifests.Closed([]string{unitOf("acme-plugin")}, d.Edges); !ok {
		t.Errorf("applying acme-plugin alone is not closed (%v); its new peer range takes host 1", e)
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestFullAndEmpty: the full set reproduces the new lock byte for byte and
// the new package.json; the empty set holds the old lock's versions.
func TestFullAndEmpty(t *testing.T) {
	p := makeProject(t)
	s := p.open(t)
	var all []string
	for _, u := range s.Diff().Units {
		all = append(all, u.ID)
	}
	c, err := s.Candidate(all)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Files["package-lock.json"]) != string(p.new.Files["package-lock.json"]) {
		t.Errorf("full candidate differs from the new lock:\n%s", c.Files["package-lock.json"])
	}
	if string(c.Files["package.json"]) != string(p.new.Files["package.json"]) {
		t.Errorf("full candidate's package.json differs from the new one")
	}
	c, err = s.Candidate(nil)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := parseLock("empty", c.Files["package-lock.json"])
	if err != nil {
		t.Fatal(err)
	}
	old, _ := parseLock("old", p.old.Files["package-lock.json"])
	for path, e := range old.entries {
		if path == "" {
			continue
		}
		if f := lf.entries[path]; f == nil || f.Version != e.Version || f.Integrity != e.Integrity {
			t.Errorf("empty candidate at %s: %+v, want %s", path, f, e.Version)
		}
	}
	if len(lf.entries) != len(old.entries) {
		t.Errorf("empty candidate has %d paths, the old lock %d", len(lf.entries), len(old.entries))
	}
	var root map[string]map[string]string
	json.Unmarshal(c.Files["package.json"], &root)
	if root["devDependencies"]["acme-test"] != "^1.0.0" || root["dependencies"]["acme-sdk"] != "^1.0.0" {
		t.Errorf("empty candidate's package.json keeps the new ranges: %s", c.Files["package.json"])
	}
}
