package composer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"github.com/lockbisect/lockbisect/manifests"
)

// pinProject has composer resolve a project requiring acme/lib (and
// acme/app, which requires acme/lib ^1.0) with the given root constraint
// against repo, and returns the project directory.
func pinProject(t *testing.T, c *composerrepo.Composer, repo, name, libConstraint string) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(repo), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	composerrepo.WriteRoot(t, dir, repo, composerrepo.Root{Require: map[string]string{"acme/lib": libConstraint, "acme/app": "^1.0"}})
	if out, err := c.Run(context.Background(), dir, "update", "--no-install"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return dir
}

// lockEntry returns the raw lock entry of pkg in dir/composer.lock.
func lockEntry(t *testing.T, dir, pkg string) json.RawMessage {
	t.Helper()
	var lock struct{ Packages []json.RawMessage }
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "composer.lock")), &lock); err != nil {
		t.Fatal(err)
	}
	for _, e := range lock.Packages {
		var n struct{ Name string }
		if json.Unmarshal(e, &n) == nil && n.Name == pkg {
			return e
		}
	}
	t.Fatalf("%s not in %s/composer.lock", pkg, dir)
	return nil
}

// installed runs composer install on the candidate and returns the
// version and source reference composer installed for pkg.
func installed(t *testing.T, c *composerrepo.Composer, cand *manifests.Candidate, pkg string) (version, reference string) {
	t.Helper()
	dir := t.TempDir()
	if err := cand.Write(dir); err != nil {
		t.Fatal(err)
	}
	// COMPOSER_DISABLE_NETWORK also forbids cloning a local git
	// repository, which a commit pin needs; nothing here is remote.
	cmd := exec.Command("composer", "--no-interaction", "--no-ansi", "install", "--no-progress")
	cmd.Dir = dir
	for _, kv := range c.Env() {
		if !strings.HasPrefix(kv, "COMPOSER_DISABLE_NETWORK=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("composer install: %v\n%s", err, out)
	}
	var inst struct {
		Packages []struct {
			Name, Version string
			Source        struct{ Reference string }
		}
	}
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "vendor", "composer", "installed.json")), &inst); err != nil {
		t.Fatal(err)
	}
	for _, p := range inst.Packages {
		if p.Name == pkg {
			return p.Version, p.Source.Reference
		}
	}
	t.Fatalf("composer did not install %s", pkg)
	return "", ""
}

// TestPinRealComposer pins acme/lib between its old 1.0.0 and new 1.2.0:
// to the release 1.1.0 (from the entry composer itself locks) and to an
// upstream commit in a local git repository, and has the real composer
// install each candidate.
func TestPinRealComposer(t *testing.T) {
	c := composerrepo.New(t)
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	app := composerrepo.Package{Name: "acme/app", Version: "1.0.0", Require: map[string]string{"acme/lib": "^1.0"}}
	composerrepo.Write(t, repo, app, composerrepo.Package{Name: "acme/lib", Version: "1.0.0"})
	oldDir := pinProject(t, c, repo, "old", "^1.0")
	composerrepo.Write(t, repo,
		composerrepo.Package{Name: "acme/lib", Version: "1.1.0", Files: map[string]string{"src/Lib.php": "<?php // 1.1.0\n"}},
		composerrepo.Package{Name: "acme/lib", Version: "1.2.0"},
		composerrepo.Package{Name: "acme/lib", Version: "1.3.0", Require: map[string]string{"acme/missing": "^1.0"}},
	)
	newDir := pinProject(t, c, repo, "new", "^1.2")
	midDir := pinProject(t, c, repo, "mid", "1.1.0")
	s := openDirs(t, oldDir, newDir)
	if ch := s.Diff().Change("acme/lib"); ch == nil || ch.From != "1.0.0" || ch.To != "1.2.0" {
		t.Fatalf("diff: acme/lib change %+v, want 1.0.0 → 1.2.0", ch)
	}

	release := lockEntry(t, midDir, "acme/lib")
	withNormalized, err := dropKey(release, "nothing")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(withNormalized, &m); err != nil {
		t.Fatal(err)
	}
	m["version_normalized"] = json.RawMessage(`"1.1.0.0"`)
	release, err = marshalObject(m)
	if err != nil {
		t.Fatal(err)
	}

	upstream := t.TempDir()
	commit := commitLib(t, upstream)
	commitEntry, err := CommitEntry([]byte(`{"name": "acme/lib", "type": "library", "require": {"php": ">=7.0"}, "autoload": {"psr-4": {"Acme\\Lib\\": "src/"}}, "scripts": {"x": "y"}}`), "1.2.0", upstream, commit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(commitEntry), "scripts") || strings.Contains(string(commitEntry), `"dist"`) {
		t.Errorf("commit entry carries keys a lock entry does not: %s", commitEntry)
	}

	t.Run("release", func(t *testing.T) {
		cand, err := s.Pin(nil, manifests.Pin{Package: "acme/lib", Version: "1.1.0", Entry: release})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(cand.Files["composer.lock"]), "version_normalized") {
			t.Error("the pinned entry keeps version_normalized")
		}
		if !strings.Contains(string(cand.Files["composer.json"]), `"acme/lib": "^1.0"`) {
			t.Errorf("composer.json not relaxed to the old constraint:\n%s", cand.Files["composer.json"])
		}
		if v, _ := installed(t, c, cand, "acme/lib"); v != "1.1.0" {
			t.Errorf("composer installed acme/lib %s, want 1.1.0", v)
		}
	})
	t.Run("commit", func(t *testing.T) {
		cand, err := s.Pin(nil, manifests.Pin{Package: "acme/lib", Version: "1.2.0", Entry: commitEntry})
		if err != nil {
			t.Fatal(err)
		}
		v, ref := installed(t, c, cand, "acme/lib")
		if v != "1.2.0" || ref != commit {
			t.Errorf("composer installed acme/lib %s at %s, want 1.2.0 at %s", v, ref, commit)
		}
	})
	t.Run("infeasible", func(t *testing.T) {
		bad := lockEntry(t, newDir, "acme/lib")
		bad = json.RawMessage(strings.Replace(string(bad), `"name"`, `"require": {"acme/missing": "^1.0"}, "name"`, 1))
		_, err := s.Pin(nil, manifests.Pin{Package: "acme/lib", Version: "1.3.0", Entry: bad})
		if !errors.Is(err, manifests.ErrInfeasible) || !strings.Contains(err.Error(), "acme/missing") {
			t.Errorf("err = %v, want ErrInfeasible naming acme/missing", err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for name, p := range map[string]manifests.Pin{
			"unknown package": {Package: "acme/none", Version: "1.0.0", Entry: release},
			"other name":      {Package: "acme/app", Version: "1.1.0", Entry: release},
			"not an object":   {Package: "acme/lib", Version: "1.1.0", Entry: json.RawMessage(`[]`)},
		} {
			if _, err := s.Pin(nil, p); err == nil || errors.Is(err, manifests.ErrInfeasible) {
				t.Errorf("%s: err = %v, want a plain error", name, err)
			}
		}
	})
}

// commitLib makes a git repository with one commit of acme/lib and returns
// the commit's hash.
func commitLib(t *testing.T, dir string) string {
	t.Helper()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"composer.json": `{"name": "acme/lib", "type": "library"}`,
		"src/Lib.php":   "<?php // from the commit\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			t.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "Ada", Email: "ada@example.com", When: time.Unix(1700000000, 0)}
	h, err := wt.Commit("lib at a commit", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func FuzzCommitEntry(f *testing.F) {
	f.Add([]byte(`{"name": "acme/lib", "require": {"php": ">=8.1"}}`), "1.2.0")
	f.Add([]byte(`{"name": "a/b", "extra": {"x": [1, 2, {"<": "&"}]}}`), "dev-main")
	f.Add([]byte(`[]`), "1")
	f.Fuzz(func(t *testing.T, composerJSON []byte, version string) {
		e, err := CommitEntry(composerJSON, version, "/repo", "abc")
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(e, &m); err != nil {
			t.Fatalf("entry is not a JSON object: %v\n%s", err, e)
		}
		if _, err := (&scanner{data: e}).entry(); err != nil && version != "" {
			t.Fatalf("the lock scanner refuses the entry: %v\n%s", err, e)
		}
	})
}
