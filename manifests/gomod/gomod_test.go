package gomod

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"

	"golang.org/x/mod/module"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/manifests"
)

func snap(ref, gomod, gosum string) *manifests.Snapshot {
	s := &manifests.Snapshot{Ref: ref, Path: "go.mod", Files: map[string][]byte{"go.mod": []byte(gomod)}}
	if gosum != "" {
		s.Files["go.sum"] = []byte(gosum)
	}
	return s
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, gomod, gosum string
		want               []string // substrings of the error
	}{
		{"unknown directive", "module m\n\ngo 1.21\nrequire example.com/a v1.0.0\nfrobnicate x\n", "",
			[]string{"old/go.mod:5", "unknown directive: frobnicate"}},
		{"bad version", "module m\n\nrequire example.com/a 1.0\n", "", []string{"old/go.mod:3", "1.0"}},
		{"no module", "go 1.21\n", "", []string{"old/go.mod", "no module directive"}},
		{"module path without a dot", "module m\n\nrequire (\n\texample.com/a v1.0.0\n\tlocalmod v1.0.0\n)\n", "",
			[]string{"old/go.mod:5", "localmod", "missing dot in first path element"}},
		{"replace of a bad path", "module m\n\nreplace example.com/a/../b => ./x\n", "", []string{"old/go.mod:3", "example.com/a/../b"}},
		{"required twice", "module m\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/a v1.1.0\n)\n", "",
			[]string{"old/go.mod:5", "example.com/a required twice"}},
		{"go.sum two fields", "module m\n", "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0\n",
			[]string{"old/go.sum:2", "got 2 fields"}},
		{"go.sum bad version", "module m\n", "example.com/a 1.0 h1:x=\n", []string{"old/go.sum:1", "1.0"}},
		{"go.sum no algorithm", "module m\n", "example.com/a v1.0.0 xyz\n", []string{"old/go.sum:1", "no algorithm prefix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(snap("old/go.mod", tt.gomod, tt.gosum), "")
			if err == nil {
				t.Fatal("load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestLoadLocalModule: a module path without a dot is fine where a
// directory replace provides it, as the go command accepts it.
func TestLoadLocalModule(t *testing.T) {
	if _, err := load(snap("old/go.mod", "module m\n\nrequire localmod v0.0.0\n\nreplace localmod => ./x\n", ""), ""); err != nil {
		t.Errorf("load: %v", err)
	}
}

func TestOpenDifferentModules(t *testing.T) {
	_, err := Ecosystem{}.Open(context.Background(), snap("old/go.mod", "module a\n", ""), snap("new/go.mod", "module b\n", ""), manifests.Options{})
	if err == nil || !strings.Contains(err.Error(), "old/go.mod is module a but new/go.mod is module b") {
		t.Errorf("Open = %v, want an error naming both modules", err)
	}
}

func TestDiffKinds(t *testing.T) {
	const base = "module m\n\ngo 1.21\n\n"
	tests := []struct {
		name     string
		old, new string
		want     []manifests.Change
	}{
		{"identical", base + "require example.com/a v1.0.0\n", base + "require example.com/a v1.0.0\n", nil},
		{"upgrade direct", base + "require example.com/a v1.0.0\n", base + "require example.com/a v1.2.0\n",
			[]manifests.Change{{Package: "example.com/a", From: "v1.0.0", To: "v1.2.0", Kind: manifests.Upgrade, Direct: true}}},
		{"downgrade indirect", base + "require example.com/a v1.2.0 // indirect\n", base + "require example.com/a v1.0.0 // indirect\n",
			[]manifests.Change{{Package: "example.com/a", From: "v1.2.0", To: "v1.0.0", Kind: manifests.Downgrade}}},
		{"pseudo-version before release", base + "require example.com/a v1.2.1-0.20240101000000-abcdefabcdef\n", base + "require example.com/a v1.2.0\n",
			[]manifests.Change{{Package: "example.com/a", From: "v1.2.1-0.20240101000000-abcdefabcdef", To: "v1.2.0", Kind: manifests.Downgrade, Direct: true}}},
		{"added and removed", base + "require example.com/a v1.0.0\n", base + "require example.com/b v1.0.0 // indirect\n",
			[]manifests.Change{
				{Package: "example.com/a", From: "v1.0.0", Kind: manifests.Removed, Direct: true},
				{Package: "example.com/b", To: "v1.0.0", Kind: manifests.Added}}},
		{"indirect flag alone is no change", base + "require example.com/a v1.0.0 // indirect\n", base + "require example.com/a v1.0.0\n", nil},
		{"replace target version", base + "replace example.com/a => example.com/fork v1.0.0\n", base + "replace example.com/a => example.com/fork v1.1.0\n",
			[]manifests.Change{{Package: "replace example.com/a", From: "example.com/fork v1.0.0", To: "example.com/fork v1.1.0", Kind: manifests.Upgrade, Direct: true}}},
		{"replace added", base, base + "replace example.com/a v1.0.0 => ../a\n",
			[]manifests.Change{{Package: "replace example.com/a@v1.0.0", To: "../a", Kind: manifests.Added, Direct: true}}},
		{"exclude added and removed", base + "exclude example.com/a v1.1.0\n", base + "exclude example.com/a v1.2.0\n",
			[]manifests.Change{
				{Package: "exclude example.com/a@v1.1.0", From: "v1.1.0", Kind: manifests.Removed, Direct: true},
				{Package: "exclude example.com/a@v1.2.0", To: "v1.2.0", Kind: manifests.Added, Direct: true}}},
		{"go and toolchain", "module m\n\ngo 1.21\n", "module m\n\ngo 1.22.3\n\ntoolchain go1.23.1\n",
			[]manifests.Change{
				{Package: "go", From: "1.21", To: "1.22.3", Kind: manifests.Upgrade, Direct: true, Toolchain: true},
				{Package: "toolchain", To: "go1.23.1", Kind: manifests.Added, Direct: true, Toolchain: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseGoMod("old/go.mod", []byte(tt.old))
			if err != nil {
				t.Fatal(err)
			}
			n, err := parseGoMod("new/go.mod", []byte(tt.new))
			if err != nil {
				t.Fatal(err)
			}
			var got []manifests.Change
			for _, c := range diff(o, n) {
				got = append(got, c.Change)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("diff = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestForces checks each coupling rule against go.mod files served by a
// file proxy.
func TestForces(t *testing.T) {
	proxy := t.TempDir()
	goproxy.Write(t, proxy,
		goproxy.Module{Path: "example.com/r", Version: "v1.0.0", Require: map[string]string{"example.com/p": "v1.0.0"}},
		goproxy.Module{Path: "example.com/r", Version: "v1.1.0", Require: map[string]string{"example.com/p": "v1.1.0"}},
		goproxy.Module{Path: "example.com/r", Version: "v1.2.0", Require: map[string]string{"example.com/p": "v1.0.0"}},
		goproxy.Module{Path: "example.com/r", Version: "v1.3.0", Go: "1.23"},
		goproxy.Module{Path: "example.com/r", Version: "v1.4.0", Require: map[string]string{"example.com/n": "v0.1.0"}},
		goproxy.Module{Path: "example.com/p", Version: "v1.0.0"},
		goproxy.Module{Path: "example.com/p", Version: "v1.1.0"},
		goproxy.Module{Path: "example.com/p", Version: "v0.9.0"},
		goproxy.Module{Path: "example.com/n", Version: "v0.1.0"},
		goproxy.Module{Path: "example.com/fork", Version: "v1.1.0", Require: map[string]string{"example.com/p": "v1.1.0"}},
	)
	const head = "module m\n\ngo 1.21\n\n"
	tests := []struct {
		name, old, new string
		want           []manifests.Force
	}{
		{"upgrade needs upgrade",
			head + "require (\n\texample.com/r v1.0.0\n\texample.com/p v1.0.0\n)\n",
			head + "require (\n\texample.com/r v1.1.0\n\texample.com/p v1.1.0\n)\n",
			[]manifests.Force{{From: "example.com/r", To: "example.com/p", Reason: "example.com/r v1.1.0 requires example.com/p v1.1.0"}}},
		{"independent upgrades",
			head + "require (\n\texample.com/r v1.0.0\n\texample.com/p v1.0.0\n)\n",
			head + "require (\n\texample.com/r v1.2.0\n\texample.com/p v1.1.0\n)\n",
			nil},
		{"downgrade: rolling r back needs p rolled back",
			head + "require (\n\texample.com/r v1.0.0\n\texample.com/p v1.0.0\n)\n",
			"module m\n\ngo 1.23\n\nrequire (\n\texample.com/r v1.3.0\n\texample.com/p v0.9.0\n)\n",
			[]manifests.Force{
				{From: "example.com/r", To: "go", Reason: "example.com/r v1.3.0 requires go 1.23"},
				{From: "example.com/p", To: "example.com/r", Reason: "example.com/r v1.0.0 requires example.com/p v1.0.0"}}},
		{"added module",
			head + "require example.com/r v1.0.0\nrequire example.com/p v1.0.0\n",
			head + "require example.com/r v1.4.0\nrequire example.com/p v1.0.0\nrequire example.com/n v0.1.0\n",
			[]manifests.Force{{From: "example.com/r", To: "example.com/n", Reason: "example.com/r v1.4.0 requires example.com/n v0.1.0"}}},
		{"removed module",
			head + "require example.com/r v1.0.0\nrequire example.com/p v1.0.0\n",
			head + "require example.com/r v1.3.0\n",
			[]manifests.Force{{From: "example.com/p", To: "example.com/r", Reason: "example.com/r v1.0.0 requires example.com/p v1.0.0"}}},
		{"replacement's go.mod is read",
			head + "require (\n\texample.com/r v1.0.0\n\texample.com/p v1.0.0\n)\n",
			head + "require (\n\texample.com/r v1.2.0\n\texample.com/p v1.1.0\n)\n\nreplace example.com/r v1.2.0 => example.com/fork v1.1.0\n",
			[]manifests.Force{
				{From: "example.com/r", To: "example.com/p", Reason: "example.com/r v1.2.0 requires example.com/p v1.1.0"},
				{From: "replace example.com/r@v1.2.0", To: "example.com/p", Reason: "replace example.com/r@v1.2.0 => example.com/fork v1.1.0 requires example.com/p v1.1.0"},
				{From: "replace example.com/r@v1.2.0", To: "example.com/r", Reason: "replace example.com/r v1.2.0 applies only to the requirement example.com/r v1.2.0"},
				{From: "example.com/r", To: "replace example.com/r@v1.2.0", Reason: "replace example.com/r v1.2.0 applies only to the requirement example.com/r v1.2.0"}}},
		{"a path-wide replacement moves its go.mod in, required by main or not",
			head + "require example.com/p v1.0.0\n",
			head + "require example.com/p v1.1.0\n\nreplace example.com/x => example.com/fork v1.1.0\n",
			[]manifests.Force{{From: "replace example.com/x", To: "example.com/p", Reason: "replace example.com/x => example.com/fork v1.1.0 requires example.com/p v1.1.0"}}},
		{"exclude moves with the requirement",
			head + "require example.com/p v1.0.0\n",
			head + "require example.com/p v1.1.0\n\nexclude example.com/p v1.0.0\n",
			[]manifests.Force{{From: "exclude example.com/p@v1.0.0", To: "example.com/p", Reason: "exclude example.com/p@v1.0.0 excludes the old requirement example.com/p v1.0.0"}}},
	}
	env := goproxy.Env(proxy, t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseGoMod("old/go.mod", []byte(tt.old))
			if err != nil {
				t.Fatal(err)
			}
			n, err := parseGoMod("new/go.mod", []byte(tt.new))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := forces(context.Background(), o, n, diff(o, n), newModReader(env, "", slog.New(slog.DiscardHandler)), [2]selection{})
			if !slices.Equal(got, tt.want) {
				t.Errorf("forces = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCandidateFiles(t *testing.T) {
	old := snap("old/go.mod", `// The app.
module m

go 1.21

require (
	example.com/a v1.0.0 // pinned: see issue 7
	example.com/b v1.0.0
)

require example.com/c v1.0.0 // indirect

exclude example.com/a v0.9.0
`, "example.com/b v1.0.0 h1:b0=\nexample.com/a v1.0.0 h1:a0=\n")
	new := snap("new/go.mod", `module m

go 1.22

require (
	example.com/a v1.1.0
	example.com/b v1.0.0
	example.com/d v0.1.0
)

require example.com/c v1.0.0 // indirect

replace example.com/b => example.com/bfork v1.0.1
`, "example.com/a v1.1.0 h1:a1=\nexample.com/a v1.0.0 h1:a0=\n")
	set, err := Ecosystem{}.Open(context.Background(), old, new, manifests.Options{Env: []string{"GOPROXY=off", "GOMODCACHE=" + t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	d := set.Diff()
	if c := d.Change("exclude example.com/a@v0.9.0"); c == nil || !strings.Contains(c.Inert, "changes no selection") || len(d.Units) != 4 {
		t.Errorf("exclude of an unrequired version: %+v in %d units, want it inert and in none of 4", c, len(d.Units))
	}
	unit := func(pkg string) string { return unitOf(t, d, pkg) }
	tests := []struct {
		name    string
		applied []string
		gomod   string
	}{
		{"none applied is the old file, reformatted", nil, `// The app.
module m

go 1.21

require (
	example.com/a v1.0.0 // pinned: see issue 7
	example.com/b v1.0.0
)

require example.com/c v1.0.0 // indirect

exclude example.com/a v0.9.0
`},
		// modfile leaves a block with comments alone and starts a new
		// one for the added requirement, as go mod tidy does.
		{"upgrade keeps the comment, added module gets a block", []string{unit("example.com/a"), unit("example.com/d")}, `// The app.
module m

go 1.21

require (
	example.com/a v1.1.0 // pinned: see issue 7
	example.com/b v1.0.0
)

require example.com/d v0.1.0

require example.com/c v1.0.0 // indirect

exclude example.com/a v0.9.0
`},
		// The exclude of a version nothing requires is inert: listed,
		// in no unit, kept as in the old file.
		{"replace and go directive", []string{unit("replace example.com/b"), unit("go")}, `// The app.
module m

go 1.22

require (
	example.com/a v1.0.0 // pinned: see issue 7
	example.com/b v1.0.0
)

require example.com/c v1.0.0 // indirect

exclude example.com/a v0.9.0

replace example.com/b => example.com/bfork v1.0.1
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := set.Candidate(tt.applied)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(c.Files["go.mod"]); got != tt.gomod {
				t.Errorf("go.mod:\n%s\nwant:\n%s", got, tt.gomod)
			}
			if got, want := string(c.Files["go.sum"]), "example.com/a v1.0.0 h1:a0=\nexample.com/a v1.1.0 h1:a1=\nexample.com/b v1.0.0 h1:b0=\n"; got != want {
				t.Errorf("go.sum = %q, want the sorted union %q", got, want)
			}
			again, err := set.Candidate(append([]string(nil), tt.applied...))
			if err != nil {
				t.Fatal(err)
			}
			if again.Hash() != c.Hash() {
				t.Error("the same applied set gave another hash")
			}
		})
	}
	if _, err := set.Candidate([]string{"u99"}); err == nil || !strings.Contains(err.Error(), `unknown unit "u99"`) {
		t.Errorf("Candidate(u99) = %v, want unknown unit", err)
	}
}

func TestValidateOutsideModule(t *testing.T) {
	testenv.NeedTools(t, "go")
	set, err := Ecosystem{}.Open(context.Background(), snap("old/go.mod", "module m\n", ""), snap("new/go.mod", "module m\n", ""), manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = set.Validate(context.Background(), t.TempDir(), &manifests.Candidate{})
	if err == nil || errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), "go list") {
		t.Errorf("Validate in a directory without go.mod = %v, want a go list failure that is not a verdict on the candidate", err)
	}
}

// FuzzLoad feeds arbitrary go.mod and go.sum bytes to the loader. Whatever
// it accepts must survive the round trip: the candidate with nothing
// applied parses again with the same requirements.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("module m\n\ngo 1.21\n\nrequire example.com/a v1.0.0 // indirect\n"), []byte("example.com/a v1.0.0 h1:x=\n"))
	f.Add([]byte("module m\nreplace example.com/a v1.0.0 => ../a\nexclude example.com/b v1.2.0\ntoolchain go1.22.1\n"), []byte(""))
	f.Add([]byte("module \"m\"\nrequire (\n\texample.com/a v1.0.0\n)\n"), []byte("example.com/a v1.0.0/go.mod h1:y=\n\n"))
	f.Fuzz(func(t *testing.T, gomod, gosum []byte) {
		s := snap("fuzz/go.mod", string(gomod), string(gosum))
		l, err := load(s, "")
		if err != nil {
			return
		}
		set, err := Ecosystem{}.Open(context.Background(), s, s, manifests.Options{Env: []string{"GOPROXY=off"}})
		if err != nil {
			t.Fatalf("load accepted the file but Open failed: %v", err)
		}
		if n := len(set.Diff().Changes); n != 0 {
			t.Fatalf("a file differs from itself by %d changes", n)
		}
		c, err := set.Candidate(nil)
		if err != nil {
			t.Fatalf("Candidate(nil): %v", err)
		}
		back, err := parseGoMod("candidate/go.mod", c.Files["go.mod"])
		if err != nil {
			t.Fatalf("the candidate go.mod does not parse: %v\n%s", err, c.Files["go.mod"])
		}
		if len(back.req) != len(l.req) {
			t.Fatalf("round trip kept %d of %d requirements", len(back.req), len(l.req))
		}
		for p, r := range l.req {
			if b := back.req[p]; b == nil || b.Mod.Version != r.Mod.Version || b.Indirect != r.Indirect {
				t.Fatalf("round trip changed %s: %+v → %+v", p, r, b)
			}
		}
	})
}

// TestModReaderSources reads one go.mod through each source the reader
// knows: a file proxy, an http proxy (the proxy protocol is static files,
// so a file server over the same directory is a real one), the module
// cache filled by the go command, and go mod download.
func TestModReaderSources(t *testing.T) {
	testenv.NeedTools(t, "go")
	proxy := t.TempDir()
	goproxy.Write(t, proxy, goproxy.Module{Path: "example.com/Upper", Version: "v1.0.0", Require: map[string]string{"example.com/p": "v1.2.3"}})
	var requests atomic.Int32
	files := http.FileServer(http.Dir(proxy))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()

	cache := t.TempDir()
	fill := exec.Command("go", "mod", "download", "example.com/Upper@v1.0.0")
	fill.Dir = t.TempDir()
	fill.Env = append(os.Environ(), append(goproxy.Env(proxy, t.TempDir()), "GOMODCACHE="+cache)...)
	if out, err := fill.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	goenv := filepath.Join(t.TempDir(), "go.env")
	if err := os.WriteFile(goenv, []byte("GOPROXY=file://"+filepath.ToSlash(proxy)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
	}{
		{"file proxy", goproxy.Env(proxy, t.TempDir())},
		{"http proxy after one that fails", []string{"GOPROXY=" + srv.URL + "/missing," + srv.URL, "GOMODCACHE=" + t.TempDir()}},
		{"module cache", []string{"GOPROXY=off", "GOMODCACHE=" + cache}},
		// The proxy is known only through the go command's config file,
		// which go env reads.
		{"go env file", append(goproxy.Env(proxy, t.TempDir()), "GOPROXY=", "GOENV="+goenv)},
		// A private module is never asked of a proxy (the server counts
		// requests below): it comes from the module cache.
		{"private: module cache", []string{"GOPROXY=" + srv.URL, "GOPRIVATE=example.com/Upper", "GOMODCACHE=" + cache, "GOFLAGS=-mod=mod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newModReader(tt.env, "", slog.New(slog.DiscardHandler))
			f := r.goMod(context.Background(), module.Version{Path: "example.com/Upper", Version: "v1.0.0"})
			if f == nil || len(f.Require) != 1 || f.Require[0].Mod.String() != "example.com/p@v1.2.3" {
				t.Fatalf("goMod = %+v, want the fabricated go.mod requiring example.com/p v1.2.3", f)
			}
		})
	}
	before := requests.Load()
	// The go command's own direct fetch of the private module (go mod
	// download, the last resort) meets a closed local port, not the
	// internet.
	r := newModReader([]string{"GOPROXY=" + srv.URL, "GOPRIVATE=example.com", "GOMODCACHE=" + t.TempDir(), "GOFLAGS=-mod=mod",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "GOVCS=*:off"}, "", slog.New(slog.DiscardHandler))
	if _, err := r.fetch(context.Background(), module.Version{Path: "example.com/Upper", Version: "v1.0.0"}); err == nil ||
		!strings.Contains(err.Error(), "matches GONOPROXY/GOPRIVATE") {
		t.Errorf("fetch of a private module with nothing cached = %v, want an error naming GOPRIVATE", err)
	}
	if n := requests.Load() - before; n != 0 {
		t.Errorf("the proxy was asked %d times for a private module", n)
	}
	r = newModReader([]string{"GOPROXY=off", "GOMODCACHE=" + t.TempDir(), "GOFLAGS=-mod=mod"}, "", slog.New(slog.DiscardHandler))
	if _, err := r.fetch(context.Background(), module.Version{Path: "example.com/Upper", Version: "v1.0.0"}); err == nil ||
		!strings.Contains(err.Error(), "example.com/Upper@v1.0.0") || !strings.Contains(err.Error(), "module cache") {
		t.Errorf("fetch with no source = %v, want an error naming the module and each source tried", err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"v1.2.0", "v1.10.0", -1},
		{"v2.0.0-rc.1", "v2.0.0", -1},
		{"1.22", "1.22.3", -1},
		{"go1.22.3", "1.22.3", 0},
		{"1.21rc2", "1.21rc1", 1},
		{"1.21rc2", "1.21.0", -1},
		{"1.21", "1.21rc1", -1}, // the language version 1.21 precedes its release candidates
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
