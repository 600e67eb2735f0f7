package npm

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lockbisect/lockbisect/drill"
	"github.com/lockbisect/lockbisect/manifests"
)

// TestReleasesAndPin: the releases between two versions come from the
// packument in semver order without prereleases; a pin written by our
// own writer is what npm install a@x --package-lock-only writes for the
// package, and npm ci installs it.
func TestReleasesAndPin(t *testing.T) {
	p := makeProject(t)
	p.reg.Publish(t,
		pkg{Name: "acme-http", Version: "1.0.5", Dependencies: map[string]string{"acme-util": "^1.0.0"}},
		pkg{Name: "acme-http", Version: "1.0.2-beta.1", Dependencies: map[string]string{"acme-util": "^1.0.0"}},
		pkg{Name: "acme-http", Version: "1.0.1", Dependencies: map[string]string{"acme-util": "^1.0.0"}},
	)
	s := p.open(t)
	listing, err := s.Releases(t.Context(), "acme-http")
	if err != nil {
		t.Fatal(err)
	}
	byVersion := map[string]manifests.Release{}
	var listed []string
	for _, r := range listing {
		byVersion[r.Version] = r
		listed = append(listed, r.Version)
	}
	// What the drill-down searches: the releases between the change's ends.
	vs := drill.Between(listed, "1.0.0", "1.1.0", s.Compare)
	if len(vs) != 2 || vs[0] != "1.0.1" || vs[1] != "1.0.5" {
		t.Fatalf("releases between 1.0.0 and 1.1.0: %q, want 1.0.1 1.0.5", vs)
	}
	rels := []manifests.Release{byVersion[vs[0]], byVersion[vs[1]]}
	up, err := s.Upstream(t.Context(), *s.Diff().Change("acme-http"))
	if err != nil || up.URL != "https://example.invalid/acme-http.git" {
		t.Errorf("upstream %+v, %v", up, err)
	}

	var all []string
	for _, u := range s.Diff().Units {
		all = append(all, u.ID)
	}
	c, err := s.Pin(all, manifests.Pin{Package: "acme-http", Version: "1.0.5", Entry: rels[1].Entry})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(p.dir, "pin")
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	// What npm itself writes for the same pin.
	ref := filepath.Join(p.dir, "ref")
	os.MkdirAll(ref, 0o755)
	for _, f := range []string{"package.json", "package-lock.json"} {
		write(t, filepath.Join(ref, f), string(p.new.Files[f]))
	}
	npmRun(t, p.env, ref, "install", "acme-http@1.0.5", "--package-lock-only", "--ignore-scripts", "--save-exact")
	refLock, _ := os.ReadFile(filepath.Join(ref, "package-lock.json"))
	got, _ := parseLock("pin", c.Files["package-lock.json"])
	want, _ := parseLock("npm", refLock)
	g, w := got.entries["node_modules/acme-http"], want.entries["node_modules/acme-http"]
	if g == nil || w == nil || g.Version != w.Version || g.Resolved != w.Resolved || g.Integrity != w.Integrity || !sameMap(g.Dependencies, w.Dependencies) {
		t.Errorf("pinned entry %+v, npm writes %+v", g, w)
	}
	cmd := exec.Command("npm", "ci", "--ignore-scripts")
	cmd.Dir, cmd.Env = dir, p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci of the pin: %v\n%s", err, out)
	}
	if bad := installedAsLocked(dir, c.Files["package-lock.json"]); bad != "" {
		t.Error(bad)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "node_modules", "acme-http", "package.json"))
	var m struct{ Version string }
	json.Unmarshal(b, &m)
	if m.Version != "1.0.5" {
		t.Errorf("npm ci installed acme-http %q, want the pin 1.0.5", m.Version)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRepositoryURL(t *testing.T) {
	for in, want := range map[string]string{
		`"github:acme/x"`: "https://github.com/acme/x",
		`"acme/x"`:        "https://github.com/acme/x",
		`{"type":"git","url":"git+https://github.com/acme/x.git"}`: "https://github.com/acme/x.git",
		`{"url":"git://github.com/acme/x.git"}`:                    "https://github.com/acme/x.git",
		`null`:                                                     "",
	} {
		if got := repositoryURL(json.RawMessage(in)); got != want {
			t.Errorf("repositoryURL(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestCommitPin: a package packed from a work tree of its repository is
// installed by npm ci in place of the release it stands in for.
func TestCommitPin(t *testing.T) {
	p := makeProject(t)
	s := p.open(t)
	src := filepath.Join(p.dir, "acme-http-src")
	os.MkdirAll(src, 0o755)
	write(t, filepath.Join(src, "package.json"), `{"name": "acme-http", "version": "1.0.9-dev", "main": "index.js", "dependencies": {"acme-util": "^1.0.0"}}`)
	write(t, filepath.Join(src, "index.js"), "module.exports = 'from the commit';\n")
	pin, err := s.PinCommit(t.Context(), manifests.Commit{Package: "acme-http", Version: "1.1.0",
		Checkout: func() (string, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, u := range s.Diff().Units {
		all = append(all, u.ID)
	}
	c, err := s.Pin(all, pin)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(p.dir, "commit")
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(t.Context(), dir, c); err != nil {
		t.Errorf("Validate: %v", err)
	}
	cmd := exec.Command("npm", "ci", "--ignore-scripts")
	cmd.Dir, cmd.Env = dir, p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci of the commit pin: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "acme-http", "index.js"))
	if err != nil || string(b) != "module.exports = 'from the commit';\n" {
		t.Errorf("installed acme-http/index.js: %q, %v", b, err)
	}
}
