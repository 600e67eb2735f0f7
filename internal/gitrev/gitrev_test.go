package gitrev

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

// binary holds bytes an end-of-line conversion or a filter would change.
var binary = []byte("\x00\x01PNG\r\n\x1a\nline\nother\r\n\xff\xfe")

// repo makes a repository with a symbolic link, an executable, a binary
// file, a text file with LF endings, a submodule entry and a nested
// directory, committed once; then a second commit on main, a branch
// "other" checked out, core.autocrlf turned on and uncommitted changes
// made. No .gitattributes anywhere. It returns the directory and git.
func repo(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	dir := t.TempDir()
	git := testenv.Git(t, dir)
	write := func(name string, data []byte, perm os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, perm); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("app/run.sh", []byte("#!/bin/sh\necho hi\n"), 0o755)
	write("app/data.bin", binary, 0o644)
	write("app/text.txt", []byte("a\nb\n"), 0o644)
	write("app/deep/er/x.go", []byte("package x\n"), 0o644)
	if err := os.Symlink("deep/er/x.go", filepath.Join(dir, "app", "link")); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	// A submodule entry (a gitlink) without .gitmodules: what the tree
	// holds is all a checkout of the tree sees.
	git("update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("1", 40)+",app/sub")
	git("commit", "-q", "-m", "one")
	write("app/text.txt", []byte("a\nb\nc\n"), 0o644)
	git("commit", "-q", "-am", "two")
	git("checkout", "-q", "-b", "other", "main~1")
	git("config", "core.autocrlf", "true")
	write("app/text.txt", []byte("edited\n"), 0o644)
	write("app/new.txt", []byte("untracked\n"), 0o644)
	write("app/deep/staged.txt", []byte("staged\n"), 0o644)
	git("add", "app/deep/staged.txt")
	write("outside.txt", []byte("outside the app\n"), 0o644)
	write(".gitignore", []byte("*.log\n"), 0o644)
	write("app/ignored.log", []byte("ignored\n"), 0o644)
	return dir, git
}

// refuse turns on an extension go-git refuses, so that the git command
// reads the repository.
func refuse(git func(args ...string) string) {
	git("config", "core.repositoryformatversion", "1")
	git("config", "extensions.worktreeConfig", "true")
}

// listing describes every file below dir: path, type, permission bits,
// and the content's digest or the link's target.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", filepath.ToSlash(rel), info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			line += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCheckout: a revision's tree is written as git stores it, through
// go-git and through the git command alike: the executable bit, the
// symbolic link's target, a binary file and LF endings byte for byte
// (core.autocrlf is on, and there is no .gitattributes), the submodule an
// empty directory; the work tree and the index are untouched.
func TestCheckout(t *testing.T) {
	dir, git := repo(t)
	ctx := context.Background()
	status := git("--no-optional-locks", "status", "--porcelain")
	index, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, out string) {
		b, err := os.ReadFile(filepath.Join(out, "app", "data.bin"))
		if err != nil || string(b) != string(binary) {
			t.Errorf("data.bin = %q, %v; want the committed bytes", b, err)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "app", "text.txt")); string(b) != "a\nb\n" {
			t.Errorf("text.txt = %q, want main~1's, with LF endings", b)
		}
		if info, err := os.Stat(filepath.Join(out, "app", "run.sh")); err != nil || info.Mode().Perm()&0o100 == 0 {
			t.Errorf("run.sh: %v, %v; want executable", info, err)
		}
		if info, err := os.Stat(filepath.Join(out, "app", "text.txt")); err != nil || info.Mode().Perm()&0o111 != 0 {
			t.Errorf("text.txt: %v, %v; want not executable", info, err)
		}
		if target, err := os.Readlink(filepath.Join(out, "app", "link")); err != nil || target != "deep/er/x.go" {
			t.Errorf("link -> %q, %v; want deep/er/x.go", target, err)
		}
		if entries, err := os.ReadDir(filepath.Join(out, "app", "sub")); err != nil || len(entries) != 0 {
			t.Errorf("submodule: %v, %v; want an empty directory", entries, err)
		}
		for _, absent := range []string{"app/new.txt", "app/deep/staged.txt", "outside.txt", ".gitignore", ".git"} {
			if _, err := os.Lstat(filepath.Join(out, absent)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s is in the checkout (%v): only the revision's files belong there", absent, err)
			}
		}
	}
	var listings [][]string
	for _, via := range []string{"go-git", "git"} {
		t.Run(via, func(t *testing.T) {
			if via == "git" {
				refuse(git)
			}
			r, err := Open(ctx, filepath.Join(dir, "app"), "main~1")
			if err != nil {
				t.Fatal(err)
			}
			if r.Commit != git("rev-parse", "main~1") {
				t.Errorf("Commit = %s, want main~1's %s", r.Commit, git("rev-parse", "main~1"))
			}
			if top, _ := filepath.EvalSymlinks(dir); resolve(r.Top) != top {
				t.Errorf("Top = %s, want %s", r.Top, dir)
			}
			out := filepath.Join(t.TempDir(), "tree")
			subs, err := r.Checkout(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(subs, []string{"app/sub"}) {
				t.Errorf("submodules = %q, want app/sub", subs)
			}
			check(t, out)
			listings = append(listings, listing(t, out))
			if _, err := r.Checkout(ctx, out); err == nil {
				t.Error("a second Checkout into the same directory succeeded: it must not write over files")
			}
		})
	}
	if len(listings) == 2 && !slices.Equal(listings[0], listings[1]) {
		t.Errorf("go-git and git write different trees:\n%q\n%q", listings[0], listings[1])
	}
	if got := git("--no-optional-locks", "status", "--porcelain"); got != status {
		t.Errorf("status after = %q, want %q", got, status)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ".git", "index")); string(after) != string(index) {
		t.Error("the index changed")
	}
}

// TestUncommitted counts what git status lists below a directory:
// modified, untracked and staged files, not ignored ones, not those
// outside it; through go-git and through the git command alike.
func TestUncommitted(t *testing.T) {
	dir, git := repo(t)
	ctx := context.Background()
	for _, via := range []string{"go-git", "git"} {
		t.Run(via, func(t *testing.T) {
			if via == "git" {
				refuse(git)
			}
			for sub, want := range map[string]int{"app": 3, "app/deep": 1, ".": 5, "app/deep/er": 0} {
				n, err := Uncommitted(ctx, dir, filepath.Join(dir, sub))
				if err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Errorf("Uncommitted(%s) = %d, want %d", sub, n, want)
				}
			}
		})
	}
	if _, err := Uncommitted(ctx, t.TempDir(), t.TempDir()); err == nil {
		t.Error("Uncommitted outside a repository: no error")
	}
}

// TestOpenErrors: an unknown revision and a directory outside any
// repository are named.
func TestOpenErrors(t *testing.T) {
	dir, _ := repo(t)
	ctx := context.Background()
	if _, err := Open(ctx, dir, "nosuch"); err == nil || !strings.Contains(err.Error(), `unknown revision "nosuch"`) {
		t.Errorf("unknown revision: %v", err)
	}
	if _, err := Open(ctx, dir, "HEAD~50"); err == nil || !strings.Contains(err.Error(), `unknown revision "HEAD~50" in `+dir+": the history ends before it") {
		t.Errorf("an ancestor beyond the first commit: %v", err)
	}
	if _, err := Open(ctx, t.TempDir(), "HEAD"); !errors.Is(err, ErrNoRepository) || !strings.Contains(err.Error(), "is not in a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
	r, err := Open(ctx, dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if rel, err := r.Within(filepath.Join(dir, "app", "not-yet")); err != nil || rel != "app/not-yet" {
		t.Errorf("Within(app/not-yet) = %q, %v", rel, err)
	}
	if _, err := r.Within(t.TempDir()); err == nil || !strings.Contains(err.Error(), "outside the repository") {
		t.Errorf("Within(elsewhere): %v", err)
	}
}

// FuzzWriteList: whatever `git ls-tree -r -t -z` printed (a malformed
// tree's names, a symbolic link named like a directory), the checkout
// writes nothing outside its directory.
func FuzzWriteList(f *testing.F) {
	f.Add([]byte("040000 tree a1\tapp\x00100644 blob b1\tapp/x\x00100755 blob b2\tapp/run\x00120000 blob c1\tapp/l\x00160000 commit d1\tapp/sub\x00"))
	f.Add([]byte("120000 blob c1\tl\x00100644 blob b1\tl/x\x00"))
	f.Add([]byte("100644 blob b1\t../x\x00100644 blob b1\t.git/config\x00"))
	f.Add([]byte("040000 tree a1\tapp\x00040000 tree a1\tapp\x00"))
	f.Fuzz(func(t *testing.T, list []byte) {
		parent := t.TempDir()
		// Every link points up and out, as a hostile tree's would.
		w := &writer{ctx: context.Background(), blob: func(_ string, wr io.Writer) error {
			_, err := io.WriteString(wr, "../..")
			return err
		}}
		_ = cli{}.writeList(w, list, filepath.Join(parent, "out"))
		if entries, _ := os.ReadDir(parent); len(entries) != 1 || entries[0].Name() != "out" {
			t.Errorf("the checkout wrote beside its directory: %v", entries)
		}
		if entries, _ := os.ReadDir(filepath.Dir(parent)); len(entries) != 1 {
			t.Errorf("the checkout wrote above its directory: %v", entries)
		}
	})
}
