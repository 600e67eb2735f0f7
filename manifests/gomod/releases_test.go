package gomod

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

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

// TestGoproxy: the drill-down lists releases from the proxy `go env` names with
// runner.env on top of the process environment, and no proxy for a
// private module, saying why.
func TestGoproxy(t *testing.T) {
	testenv.NeedTools(t, "go")
	t.Setenv("GOPROXY", "https://process.example")
	ctx := context.Background()
	s := &Pair{env: []string{"GOPROXY=file:///a", "GOFLAGS=-x", "GOPROXY=file:///b", "GOPRIVATE=corp.example"}}
	if got, err := s.proxy(ctx, "example.com/m"); err != nil || got != "file:///b" {
		t.Errorf("goproxy = %q, %v; want the last runner.env value", got, err)
	}
	if got, err := s.proxy(ctx, "corp.example/m"); err == nil || !strings.Contains(err.Error(), "never from a proxy") {
		t.Errorf("goproxy of a private module = %q, %v; want an error saying it is never asked of a proxy", got, err)
	}
	s = &Pair{}
	if got, err := s.proxy(ctx, "example.com/m"); err != nil || got != "https://process.example" {
		t.Errorf("goproxy = %q, %v; want the process environment's", got, err)
	}
}

// TestReleases lists releases from a file proxy, with the newest go.mod's
// retractions marked, and none for a directive.
func TestReleases(t *testing.T) {
	testenv.NeedTools(t, "go")
	proxy := t.TempDir()
	var mods []goproxy.Module
	for _, v := range []string{"v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"} {
		mods = append(mods, goproxy.Module{Path: "example.com/m", Version: v, Files: map[string]string{"m.go": "package m\n"}})
	}
	mods = append(mods, goproxy.Module{Path: "example.com/m", Version: "v1.4.0", Files: map[string]string{"m.go": "package m\n"},
		GoMod: "module example.com/m\n\ngo 1.21\n\nretract v1.2.0 // leaks file descriptors\n"})
	goproxy.Write(t, proxy, mods...)
	s := &Pair{env: goproxy.Env(proxy, t.TempDir())}
	rels, err := s.Releases(context.Background(), "example.com/m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rels {
		v := r.Version
		if r.Retracted != "" {
			v += " (" + r.Retracted + ")"
		}
		got = append(got, v)
	}
	if want := []string{"v1.0.0", "v1.1.0", "v1.2.0 (leaks file descriptors)", "v1.3.0", "v1.4.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("releases = %v, want %v", got, want)
	}
	var none manifests.NoReleases
	if _, err := s.Releases(context.Background(), "toolchain"); !errors.As(err, &none) || !strings.Contains(err.Error(), "not a module") {
		t.Errorf("releases of a directive: %v, want NoReleases", err)
	}
}

// TestUpstream maps modules to repositories: the Origin of the proxy's
// .info, else the host convention.
func TestUpstream(t *testing.T) {
	testenv.NeedTools(t, "go")
	proxy := t.TempDir()
	goproxy.Write(t, proxy,
		goproxy.Module{Path: "example.com/withorigin", Version: "v1.1.0", Files: map[string]string{"a.go": "package a\n"},
			Origin: &goproxy.Origin{VCS: "git", URL: "https://git.example/withorigin.git", Ref: "refs/tags/v1.1.0"}},
		goproxy.Module{Path: "github.com/o/r/sub", Version: "v1.1.0", Files: map[string]string{"a.go": "package a\n"}},
	)
	s := &Pair{env: goproxy.Env(proxy, t.TempDir())}
	for _, tc := range []struct {
		name    string
		mod     string
		want    manifests.Upstream
		wantErr string
	}{
		{name: "origin", mod: "example.com/withorigin", want: manifests.Upstream{URL: "https://git.example/withorigin.git"}},
		{name: "host convention", mod: "github.com/o/r/sub", want: manifests.Upstream{URL: "https://github.com/o/r", Subdir: "sub"}},
		{name: "unknown", mod: "example.com/unknown", wantErr: "--repo-map example.com/unknown=URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Upstream(context.Background(), manifests.Change{Package: tc.mod, To: "v1.1.0"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Upstream = %+v, %v; want an error naming %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Upstream = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
