package manifests

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

func changesOf(pkgs ...string) []Change {
	cs := make([]Change, len(pkgs))
	for i, p := range pkgs {
		cs[i] = Change{Package: p, From: "1.0.0", To: "2.0.0", Kind: Upgrade}
	}
	return cs
}

func TestCouple(t *testing.T) {
	cases := []struct {
		name   string
		pkgs   []string
		forces []Force
		units  []Unit
		edges  []Edge
	}{
		{
			name:  "independent",
			pkgs:  []string{"a", "b"},
			units: []Unit{{ID: "u1", Packages: []string{"a"}}, {ID: "u2", Packages: []string{"b"}}},
		},
		{
			name:   "chain of four on a cycle becomes one unit",
			pkgs:   []string{"sdk", "bundle", "docblock", "resolver", "other"},
			forces: []Force{{"bundle", "sdk", "bundle 0.9.0 requires sdk ^0.5"}, {"sdk", "docblock", "sdk 0.5.0 requires docblock ^6"}, {"docblock", "resolver", "docblock 6.0.0 requires resolver ^2"}, {"resolver", "bundle", "resolver 1.0.0 conflicts with bundle >=0.9"}},
			units: []Unit{
				{ID: "u1", Packages: []string{"sdk", "bundle", "docblock", "resolver"}, Reason: "bundle 0.9.0 requires sdk ^0.5; sdk 0.5.0 requires docblock ^6; docblock 6.0.0 requires resolver ^2; resolver 1.0.0 conflicts with bundle >=0.9"},
				{ID: "u2", Packages: []string{"other"}},
			},
		},
		{
			name:   "one-way force is a closure edge, deduplicated",
			pkgs:   []string{"a", "b", "c"},
			forces: []Force{{"a", "b", "a 2.0.0 requires b ^2"}, {"a", "b", "a 2.0.0 conflicts with b <2"}, {"c", "x", "unknown package ignored"}},
			units:  []Unit{{ID: "u1", Packages: []string{"a"}}, {ID: "u2", Packages: []string{"b"}}, {ID: "u3", Packages: []string{"c"}}},
			edges:  []Edge{{From: "u1", To: "u2", Reason: "a 2.0.0 requires b ^2"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			units, edges := Couple(changesOf(c.pkgs...), c.forces)
			if !reflect.DeepEqual(units, c.units) {
				t.Errorf("units = %+v\nwant %+v", units, c.units)
			}
			if !reflect.DeepEqual(edges, c.edges) {
				t.Errorf("edges = %+v\nwant %+v", edges, c.edges)
			}
		})
	}
}

func TestCoupleLongChainDoesNotOverflow(t *testing.T) {
	const n = 200000
	pkgs := make([]string, n)
	var forces []Force
	for i := range pkgs {
		pkgs[i] = "p" + strconv.Itoa(i)
		if i > 0 {
			forces = append(forces, Force{pkgs[i], pkgs[i-1], "chain"})
		}
	}
	forces = append(forces, Force{pkgs[0], pkgs[n-1], "closing the cycle"})
	units, edges := Couple(changesOf(pkgs...), forces)
	if len(units) != 1 || len(units[0].Packages) != n || len(edges) != 0 {
		t.Fatalf("got %d units, %d edges; want one unit of %d packages", len(units), len(edges), n)
	}
}

func TestClosed(t *testing.T) {
	edges := []Edge{{From: "u1", To: "u2", Reason: "r"}}
	if ok, _ := Closed([]string{"u2"}, edges); !ok {
		t.Error("{u2} should be closed")
	}
	ok, e := Closed([]string{"u1"}, edges)
	if ok || e == nil || e.To != "u2" {
		t.Errorf("{u1} should violate u1→u2, got %v %v", ok, e)
	}
}

func TestCandidateHashDeterministic(t *testing.T) {
	a := &Candidate{Files: map[string][]byte{"composer.lock": []byte("x"), "composer.json": []byte("y")}}
	b := &Candidate{Files: map[string][]byte{"composer.json": []byte("y"), "composer.lock": []byte("x")}}
	c := &Candidate{Files: map[string][]byte{"composer.json": []byte("yx"), "composer.lock": []byte("")}}
	if a.Hash() != b.Hash() {
		t.Error("same files, different hash")
	}
	if a.Hash() == c.Hash() {
		t.Error("moving a byte between files must change the hash")
	}
	dir := t.TempDir()
	if err := a.Write(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "sub", "composer.lock")); string(got) != "x" {
		t.Errorf("written composer.lock = %q", got)
	}
}

// TestReadRev reads a lock at a revision through go-git, with its sibling,
// and checks that the work tree is not touched.
func TestReadRev(t *testing.T) {
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	commit := func(lock, manifest string) {
		os.MkdirAll(filepath.Join(dir, "app"), 0o755)
		os.WriteFile(filepath.Join(dir, "app", "composer.lock"), []byte(lock), 0o644)
		os.WriteFile(filepath.Join(dir, "app", "composer.json"), []byte(manifest), 0o644)
		if _, err := wt.Add("app"); err != nil {
			t.Fatal(err)
		}
		sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
		if _, err := wt.Commit("c", &git.CommitOptions{Author: sig}); err != nil {
			t.Fatal(err)
		}
	}
	commit("old lock", "old json")
	commit("new lock", "new json")
	os.WriteFile(filepath.Join(dir, "app", "composer.lock"), []byte("work tree"), 0o644)

	ctx := context.Background()
	s, err := Read(ctx, "HEAD~1:app/composer.lock", dir, []string{"composer.json", "missing.json"})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Files["composer.lock"]) != "old lock" || string(s.Files["composer.json"]) != "old json" || s.Path != "app/composer.lock" || s.Dir != "" {
		t.Errorf("snapshot = %+v", s)
	}
	if _, ok := s.Files["missing.json"]; ok {
		t.Error("a missing sibling must be left out")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "app", "composer.lock")); string(b) != "work tree" {
		t.Error("reading a revision changed the work tree")
	}

	for _, c := range []struct{ ref, want string }{
		{"nosuch:app/composer.lock", `unknown revision "nosuch"`},
		{"HEAD:app/nosuch.lock", "read app/nosuch.lock at HEAD"},
	} {
		if _, err := Read(ctx, c.ref, dir, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Read(%s) error = %v, want it to mention %q", c.ref, err, c.want)
		}
	}
	if _, err := Read(ctx, "HEAD:app/composer.lock", t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "is not in a git repository (no .git found in it or above it); --repo names the repository") {
		t.Errorf("outside a repository: %v", err)
	}
}

// TestReadRevWorktreeConfig: a repository with extensions.worktreeConfig
// (set by `git worktree` and sparse checkouts) is read all the same, the
// lock's siblings and other files of the same revision included, and an
// error names the repository without "(pass --repo)" when --repo was given.
func TestReadRevWorktreeConfig(t *testing.T) {
	dir := t.TempDir()
	git := testenv.Git(t, dir)
	git("init", "-q")
	os.MkdirAll(filepath.Join(dir, "app", "tools"), 0o755)
	os.WriteFile(filepath.Join(dir, "app", "go.mod"), []byte("module m\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "app", "tools", "go.mod"), []byte("module m/tools\n"), 0o644)
	git("add", ".")
	git("commit", "-q", "-m", "c")
	git("config", "core.repositoryformatversion", "1")
	git("config", "extensions.worktreeConfig", "true")
	os.WriteFile(filepath.Join(dir, "app", "tools", "go.mod"), []byte("work tree"), 0o644)

	ctx := context.Background()
	s, err := Read(ctx, "HEAD:app/go.mod", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Files["go.mod"]) != "module m\n" {
		t.Errorf("go.mod = %q", s.Files["go.mod"])
	}
	if b, err := s.ReadFile("tools/go.mod"); err != nil || string(b) != "module m/tools\n" {
		t.Errorf("ReadFile(tools/go.mod) = %q, %v; want the committed file", b, err)
	}
	if _, err := s.ReadFile("nosuch/go.mod"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
	}
	_, err = Read(ctx, "nosuch:app/go.mod", dir, nil)
	if err == nil || strings.Contains(err.Error(), "pass --repo") || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown revision with --repo given: %v", err)
	}
}

// snapEcosystem records the snapshots Load opens.
type snapEcosystem struct{ old, new *Snapshot }

func (*snapEcosystem) Name() string       { return "snap" }
func (*snapEcosystem) Lock() string       { return "snap.lock" }
func (*snapEcosystem) Siblings() []string { return nil }
func (e *snapEcosystem) Open(_ context.Context, old, new *Snapshot, _ Options) (Pair, error) {
	e.old, e.new = old, new
	return nil, nil
}

// TestLoadNewDir: with Options.NewDir the new snapshot reads its other
// files from that directory (the tree that is built), its lock still
// from its reference; the old snapshot is left alone.
func TestLoadNewDir(t *testing.T) {
	dir := t.TempDir()
	git := testenv.Git(t, dir)
	git("init", "-q")
	os.MkdirAll(filepath.Join(dir, "app", "tools"), 0o755)
	os.WriteFile(filepath.Join(dir, "app", "snap.lock"), []byte("lock"), 0o644)
	os.WriteFile(filepath.Join(dir, "app", "tools", "go.mod"), []byte("revision"), 0o644)
	git("add", ".")
	git("commit", "-q", "-m", "c")
	built := t.TempDir()
	os.MkdirAll(filepath.Join(built, "tools"), 0o755)
	os.WriteFile(filepath.Join(built, "tools", "go.mod"), []byte("built"), 0o644)

	ctx := context.Background()
	for newDir, want := range map[string]string{"": "revision", built: "built"} {
		e := &snapEcosystem{}
		if _, err := Load(ctx, []Ecosystem{e}, "HEAD:app/snap.lock", "HEAD:app/snap.lock", dir, Options{NewDir: newDir}); err != nil {
			t.Fatal(err)
		}
		if b, err := e.new.ReadFile("tools/go.mod"); err != nil || string(b) != want {
			t.Errorf("NewDir %q: new ReadFile(tools/go.mod) = %q, %v; want %q", newDir, b, err, want)
		}
		if e.new.Dir != newDir || string(e.new.Files["snap.lock"]) != "lock" {
			t.Errorf("NewDir %q: new snapshot Dir %q, lock %q", newDir, e.new.Dir, e.new.Files["snap.lock"])
		}
		if b, _ := e.old.ReadFile("tools/go.mod"); string(b) != "revision" || e.old.Dir != "" {
			t.Errorf("NewDir %q: the old snapshot reads %q from %q, want the revision's", newDir, b, e.old.Dir)
		}
	}
}

// TestBriefReason: a unit's reason is cut after n rules, saying how many
// more there are.
func TestBriefReason(t *testing.T) {
	u := Unit{Reason: "a requires b; b requires c; c requires d; d requires e"}
	for n, want := range map[int]string{
		2: "a requires b; b requires c; and 2 more",
		3: "a requires b; b requires c; c requires d; and 1 more",
		4: u.Reason,
		9: u.Reason,
	} {
		if got := u.BriefReason(n); got != want {
			t.Errorf("BriefReason(%d) = %q, want %q", n, got, want)
		}
	}
	if got := (Unit{}).BriefReason(3); got != "" {
		t.Errorf("empty reason: %q", got)
	}
}
