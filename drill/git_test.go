package drill

import (
	"context"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/lockbisect/lockbisect/internal/fixtures/gitrepo"
)

func TestHistory(t *testing.T) {
	dir := t.TempDir()
	u, err := gitrepo.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(msg string, files map[string]string, parents ...plumbing.Hash) plumbing.Hash {
		t.Helper()
		h, err := u.Commit(msg, "Ada", files, parents...)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tag := func(name string, h plumbing.Hash) {
		t.Helper()
		if err := u.Tag(name, h); err != nil {
			t.Fatal(err)
		}
	}
	// Releases 1.0.0 .. 1.2.0 (annotated tags, 1.2.0 also as sub/v1.2.0 for
	// a module in a subdirectory), a side branch merged between 1.1.0 and
	// 1.2.0, and a CHANGELOG.
	c1 := commit("initial", map[string]string{"CHANGELOG.md": "# Changelog\n"})
	tag("v1.0.0", c1)
	c2 := commit("add feature (#12)", map[string]string{"a.txt": "a"})
	tag("v1.1.0", c2)
	// A side branch from c2, merged back after a commit on the main line.
	side1 := commit("side: step one", map[string]string{"b.txt": "1"})
	side2 := commit("side: step two (breaks it)", map[string]string{"b.txt": "2"})
	if err := u.Branch("main", c2); err != nil {
		t.Fatal(err)
	}
	main1 := commit("main: docs", map[string]string{"c.txt": "c"})
	merge := commit("Merge pull request #34 from ada/side\n\nside work", map[string]string{"b.txt": "2"}, main1, side2)
	c5 := commit("release 1.2.0", map[string]string{"CHANGELOG.md": "# Changelog\n\n## 1.2.0\n- side work (#34)\n- docs\n\n## 1.1.0\n- feature\n"})
	tag("v1.2.0", c5)
	tag("sub/v1.2.0", c5)

	ctx := context.Background()
	r, err := Open(ctx, dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good, err := ResolveTag(r, "", "1.1.0")
	if err != nil || good.Hash != c2 {
		t.Fatalf("ResolveTag 1.1.0 = %v, %v; want %s (annotated tag dereferenced)", good, err, c2)
	}
	bad, err := ResolveTag(r, "sub/", "v1.2.0")
	if err != nil || bad.Hash != c5 {
		t.Fatalf("ResolveTag sub/v1.2.0 = %v, %v", bad, err)
	}
	if _, err := ResolveTag(r, "", "9.9.9"); err == nil {
		t.Error("a missing tag must be an error")
	}

	chain, err := FirstParent(good, bad)
	if err != nil {
		t.Fatal(err)
	}
	if got := hashes(chain); !equal(got, []plumbing.Hash{main1, merge, c5}) {
		t.Fatalf("first-parent chain = %v, want main1, merge, c5", got)
	}
	mc, _ := r.CommitObject(merge)
	side, err := Merged(mc)
	if err != nil {
		t.Fatal(err)
	}
	if got := hashes(side); !equal(got, []plumbing.Hash{side1, side2}) {
		t.Fatalf("merged branch = %v, want side1, side2", got)
	}
	d := Describe(mc, WebURL("git@github.com:ada/lib.git"))
	if d.PR != "#34" || !d.Merge || d.Subject != "Merge pull request #34 from ada/side" || d.URL != "https://github.com/ada/lib/commit/"+merge.String() || d.Author != "Ada" {
		t.Errorf("Describe(merge) = %+v", d)
	}
	if d := Describe(chain[0], ""); d.PR != "" || d.URL != "" {
		t.Errorf("Describe(plain) = %+v", d)
	}
	c2o, _ := r.CommitObject(c2)
	if d := Describe(c2o, ""); d.PR != "#12" {
		t.Errorf("squash subject PR = %q", d.PR)
	}
	bo, _ := r.CommitObject(c5)
	if got := Changelog(bo, "v1.2.0"); got != "- side work (#34)\n- docs" {
		t.Errorf("changelog section = %q", got)
	}

	// A second Open reuses the cached clone and sees new tags.
	tag("v1.3.0", commit("more", map[string]string{"d.txt": "d"}))
	cache := t.TempDir()
	if _, err := Open(ctx, dir, cache); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(ctx, dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveTag(r2, "", "1.3.0"); err != nil {
		t.Errorf("cached clone: %v", err)
	}
}

func hashes(cs []*object.Commit) []plumbing.Hash {
	var out []plumbing.Hash
	for _, c := range cs {
		out = append(out, c.Hash)
	}
	return out
}

func equal(a, b []plumbing.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/symfony/console.git": "https://github.com/symfony/console",
		"git@github.com:a/b.git":                 "https://github.com/a/b",
		"https://gitlab.com/g/p":                 "https://gitlab.com/g/p",
		"https://github.com/a/b/sub/dir":         "https://github.com/a/b",
		"/tmp/local/repo":                        "",
		"https://example.com/a/b":                "",
	} {
		if got := WebURL(in); got != want {
			t.Errorf("WebURL(%q) = %q, want %q", in, got, want)
		}
	}
}
