package hunt

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/drill"
	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		line drill.Line
		want string
	}{
		{"exact", drill.Line{LastGood: 1, FirstBad: 2}, "the first bad one is r2 (r1 is the last good one)"},
		{"exact with a skip outside the range", drill.Line{LastGood: 1, FirstBad: 2, Skipped: []int{0}}, "the first bad one is r2 (r1 is the last good one)"},
		{"skips in between", drill.Line{LastGood: 0, FirstBad: 3, Skipped: []int{1, 2}}, "after r0 (known good), no later than r3 (first known bad): r1, r2 could not be tested"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := func(i int) string { return "r" + string(rune('0'+i)) }
			got := answer(name(tc.line.LastGood), name(tc.line.FirstBad), tc.line.Exact(), skippedBetween(tc.line, name))
			if got != tc.want {
				t.Errorf("answer = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLastGood(t *testing.T) {
	res := &bisect.Result{Probes: []bisect.Record{
		{Applied: nil, Outcome: bisect.Good},
		{Applied: []string{"u1", "u2", "u3"}, Outcome: bisect.Bad},
		{Applied: []string{"u1", "u3"}, Outcome: bisect.Good},
		{Applied: []string{"u1", "u2", "u4"}, Outcome: bisect.Untestable},
		{Applied: []string{"u3"}, Outcome: bisect.Good},
	}}
	if got := lastGood(res, "u2"); !reflect.DeepEqual(got, []string{"u1", "u3"}) {
		t.Errorf("lastGood = %v, want the largest good set [u1 u3]", got)
	}
	if got := lastGood(&bisect.Result{}, "u2"); got != nil {
		t.Errorf("lastGood without good probes = %v, want the old lock (nil)", got)
	}
}

func TestHostConvention(t *testing.T) {
	for _, tc := range []struct{ mod, repo, sub string }{
		{"github.com/o/r", "https://github.com/o/r", ""},
		{"github.com/o/r/v2", "https://github.com/o/r", ""},
		{"github.com/o/r/sub/dir/v3", "https://github.com/o/r", "sub/dir"},
		{"gitlab.com/g/p/sub", "https://gitlab.com/g/p", "sub"},
		{"github.com/o", "", ""},
		{"example.com/schema", "", ""},
		{"golang.org/x/mod", "", ""},
	} {
		t.Run(tc.mod, func(t *testing.T) {
			repo, sub := hostConvention(tc.mod)
			if repo != tc.repo || sub != tc.sub {
				t.Errorf("hostConvention(%s) = %q, %q; want %q, %q", tc.mod, repo, sub, tc.repo, tc.sub)
			}
		})
	}
}

func FuzzHostConvention(f *testing.F) {
	for _, s := range []string{"github.com/o/r/v2", "gitlab.com/g/p/sub", "github.com//", "bitbucket.org/a/b/c/v1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, mod string) {
		repo, sub := hostConvention(mod)
		if repo == "" && sub != "" {
			t.Fatalf("hostConvention(%q): a subdirectory %q without a repository", mod, sub)
		}
		if repo != "" && !strings.HasPrefix(mod, strings.TrimPrefix(repo, "https://")) {
			t.Fatalf("hostConvention(%q) = %q: not a prefix of the module path", mod, repo)
		}
	})
}

func TestComposerRepo(t *testing.T) {
	for _, tc := range []struct {
		name, json, configured, want, wantErr string
	}{
		{name: "configured path", json: `{}`, configured: "repo", want: "file://DIR/repo"},
		{name: "configured wins", json: `{"repositories": [{"type": "composer", "url": "https://repo.example"}]}`, configured: "http://127.0.0.1:1", want: "http://127.0.0.1:1"},
		{name: "list", json: `{"repositories": [{"type": "artifact", "url": "a/"}, {"packagist.org": false}, {"type": "composer", "url": "https://repo.example"}]}`, want: "https://repo.example"},
		{name: "object", json: `{"repositories": {"private": {"type": "composer", "url": "https://private.example"}}}`, want: "https://private.example"},
		{name: "none", json: `{"repositories": [{"type": "artifact", "url": "a/"}]}`, wantErr: "set search.composer_repo"},
		{name: "broken", json: `{"repositories": `, wantErr: "composer.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "composer.json"), []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			dr := &driller{p: &prober{}, project: dir, o: Options{Config: &config.Config{Search: config.Search{ComposerRepo: tc.configured}}}}
			got, err := dr.composerRepo()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("composerRepo = %q, %v; want an error naming %q", got, err, tc.wantErr)
				}
				return
			}
			if want := strings.ReplaceAll(tc.want, "DIR", dir); err != nil || got != want {
				t.Errorf("composerRepo = %q, %v; want %q", got, err, want)
			}
		})
	}
}

// TestGoproxy: the drill-down asks the proxy `go env` names with
// runner.env on top of the process environment, and no proxy for a
// private module, saying why.
func TestGoproxy(t *testing.T) {
	testenv.NeedTools(t, "go")
	t.Setenv("GOPROXY", "https://process.example")
	ctx := context.Background()
	dr := &driller{env: []string{"GOPROXY=file:///a", "GOFLAGS=-x", "GOPROXY=file:///b", "GOPRIVATE=corp.example"}}
	if got, err := dr.goproxy(ctx, "example.com/m"); err != nil || got != "file:///b" {
		t.Errorf("goproxy = %q, %v; want the last runner.env value", got, err)
	}
	if got, err := dr.goproxy(ctx, "corp.example/m"); err == nil || !strings.Contains(err.Error(), "never from a proxy") {
		t.Errorf("goproxy of a private module = %q, %v; want an error saying it is never asked of a proxy", got, err)
	}
	dr = &driller{}
	if got, err := dr.goproxy(ctx, "example.com/m"); err != nil || got != "https://process.example" {
		t.Errorf("goproxy = %q, %v; want the process environment's", got, err)
	}
}

func TestDetail(t *testing.T) {
	long := strings.Repeat("x", 400) + "the cause"
	if got := detail("", long); !strings.HasSuffix(got, "the cause") || !strings.HasPrefix(got, "…") || len([]rune(got)) != 301 {
		t.Errorf("detail keeps %q, want the last 300 characters", got)
	}
	if got := detail("tools.list", long); got != "tools.list" {
		t.Errorf("detail = %q, want the failing check", got)
	}
}

// TestGoReleasesBetween lists releases from a file proxy: strictly between
// the two versions, from the good end toward the bad one (so descending for
// a downgrade), with the newest go.mod's retractions marked.
func TestGoReleasesBetween(t *testing.T) {
	proxy := t.TempDir()
	var mods []goproxy.Module
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"} {
		mods = append(mods, goproxy.Module{Path: "example.com/m", Version: v, Files: map[string]string{"m.go": "package m\n"}})
	}
	mods = append(mods, goproxy.Module{Path: "example.com/m", Version: "v1.4.0", Files: map[string]string{"m.go": "package m\n"},
		GoMod: "module example.com/m\n\ngo 1.21\n\nretract v1.2.0 // leaks file descriptors\n"})
	goproxy.Write(t, proxy, mods...)
	dr := &driller{p: &prober{diff: &manifests.Diff{Ecosystem: "gomod"}}, env: goproxy.Env(proxy, t.TempDir()), client: http.DefaultClient}
	for _, tc := range []struct {
		name string
		ch   manifests.Change
		want []string
	}{
		{"upgrade", manifests.Change{Package: "example.com/m", From: "v1.0.0", To: "v1.4.0", Kind: manifests.Upgrade}, []string{"v1.1.0", "v1.2.0 (leaks file descriptors)", "v1.3.0"}},
		{"downgrade", manifests.Change{Package: "example.com/m", From: "v1.4.0", To: "v1.1.0", Kind: manifests.Downgrade}, []string{"v1.3.0", "v1.2.0 (leaks file descriptors)"}},
		{"adjacent", manifests.Change{Package: "example.com/m", From: "v1.3.0", To: "v1.4.0", Kind: manifests.Upgrade}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rels, err := dr.releases(context.Background(), tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rels {
				s := r.version
				if r.retracted != "" {
					s += " (" + r.retracted + ")"
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("releases = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestUpstream maps packages to repositories: --repo-map first, then the
// Origin of the proxy's .info, the host convention, composer's source.url.
func TestUpstream(t *testing.T) {
	proxy := t.TempDir()
	goproxy.Write(t, proxy,
		goproxy.Module{Path: "example.com/withorigin", Version: "v1.1.0", Files: map[string]string{"a.go": "package a\n"},
			Origin: &goproxy.Origin{VCS: "git", URL: "https://git.example/withorigin.git", Ref: "refs/tags/v1.1.0"}},
		goproxy.Module{Path: "github.com/o/r/sub", Version: "v1.1.0", Files: map[string]string{"a.go": "package a\n"}},
	)
	gomod := &driller{p: &prober{diff: &manifests.Diff{Ecosystem: "gomod"}}, env: goproxy.Env(proxy, t.TempDir()), client: http.DefaultClient,
		o: Options{RepoMap: map[string]string{"example.com/mapped": "/srv/mapped"}}}
	composer := &driller{p: &prober{diff: &manifests.Diff{Ecosystem: "composer"}},
		o: Options{RepoMap: map[string]string{"acme/mapped": "/srv/acme"}}}
	for _, tc := range []struct {
		name    string
		dr      *driller
		ch      manifests.Change
		want    upstream
		wantErr string
		wantTag string
	}{
		{name: "origin", dr: gomod, ch: manifests.Change{Package: "example.com/withorigin", To: "v1.1.0"}, want: upstream{url: "https://git.example/withorigin.git"}, wantTag: "v1.0.0"},
		{name: "host convention", dr: gomod, ch: manifests.Change{Package: "github.com/o/r/sub", To: "v1.1.0"}, want: upstream{url: "https://github.com/o/r", subdir: "sub"}, wantTag: "sub/v1.0.0"},
		{name: "go repo-map", dr: gomod, ch: manifests.Change{Package: "example.com/mapped", To: "v1.1.0"}, want: upstream{url: "/srv/mapped"}, wantTag: "v1.0.0"},
		{name: "go unknown", dr: gomod, ch: manifests.Change{Package: "example.com/unknown", To: "v1.1.0"}, wantErr: "--repo-map example.com/unknown=URL"},
		{name: "composer source", dr: composer, ch: manifests.Change{Package: "acme/lib", Source: "https://github.com/acme/lib.git"}, want: upstream{url: "https://github.com/acme/lib.git"}, wantTag: "v1.0.0"},
		{name: "composer repo-map", dr: composer, ch: manifests.Change{Package: "acme/mapped", Source: "https://github.com/acme/other.git"}, want: upstream{url: "/srv/acme"}, wantTag: "v1.0.0"},
		{name: "composer unknown", dr: composer, ch: manifests.Change{Package: "acme/none"}, wantErr: "--repo-map acme/none=URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.dr.upstream(context.Background(), tc.ch)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("upstream = %+v, %v; want an error naming %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("upstream = %+v, %v; want %+v", got, err, tc.want)
			}
			if tag := got.tag("v1.0.0"); tag != tc.wantTag {
				t.Errorf("tag = %q, want %q", tag, tc.wantTag)
			}
		})
	}
}
