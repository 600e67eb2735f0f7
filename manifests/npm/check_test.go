package npm

import (
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests/npm/semver"
)

// TestCheckEntry: what a locked entry needs, resolved through
// node_modules: a missing optional dependency or optional peer is no
// violation, a missing required peer or a version outside the range is,
// and a nested copy shadows the hoisted one.
func TestCheckEntry(t *testing.T) {
	lf, err := parseLock("test", []byte(`{"lockfileVersion": 3, "packages": {
  "": {"dependencies": {"a": "^1.0.0"}},
  "node_modules/a": {"version": "1.2.0",
    "dependencies": {"b": "^2.0.0"},
    "optionalDependencies": {"fast": "^1.0.0"},
    "peerDependencies": {"host": "^1.0.0", "extra": "*"},
    "peerDependenciesMeta": {"extra": {"optional": true}}},
  "node_modules/b": {"version": "1.0.0"},
  "node_modules/a/node_modules/b": {"version": "2.1.0"},
  "node_modules/host": {"version": "2.0.0-beta.1"}
}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := &set{ranges: map[string]*semver.Range{}}
	got := s.checkEntry(lf.entries, lf.entries["node_modules/a"], false)
	want := "a 1.2.0 requires host ^1.0.0, but the candidate has host 2.0.0-beta.1 at node_modules/host"
	if len(got) != 1 || got[0] != want {
		t.Errorf("problems %q, want [%q]", got, want)
	}
	delete(lf.entries, "node_modules/host")
	got = s.checkEntry(lf.entries, lf.entries["node_modules/a"], false)
	if len(got) != 1 || !strings.Contains(got[0], "installs no host") {
		t.Errorf("a required peer missing: %q", got)
	}
	delete(lf.entries, "node_modules/a/node_modules/b")
	got = s.checkEntry(lf.entries, lf.entries["node_modules/a"], false)
	if len(got) != 2 || !strings.Contains(got[0], "has b 1.0.0 at node_modules/b") {
		t.Errorf("without the nested b, the hoisted one is found: %q", got)
	}
}
