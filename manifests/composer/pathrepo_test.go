package composer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/fixtures/composerrepo"
	"github.com/lockbisect/lockbisect/manifests"
)

// TestPathRepositories installs a candidate, with the real composer, in a
// copy of a project elsewhere (as the local runner does): the project's
// path repositories "../lib" (outside it) and "packages/*" (inside it)
// must resolve as they do in the original, and composer must call the
// candidate lock up to date.
func TestPathRepositories(t *testing.T) {
	c := composerrepo.New(t)
	ctx := context.Background()
	base := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(base, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lib/composer.json", `{"name": "acme/lib", "version": "1.0.0", "autoload": {"files": ["lib.php"]}}`)
	write("lib/lib.php", "<?php function acme_lib() { return 'original'; }\n")
	write("app/packages/inner/composer.json", `{"name": "acme/inner", "version": "2.0.0"}`)
	write("app/composer.json", `{
    "name": "acme/app",
    "require": {"acme/lib": "^1.0", "acme/inner": "^2.0"},
    "repositories": [
        {"type": "path", "url": "../lib"},
        {"type": "path", "url": "packages/*"},
        {"packagist.org": false}
    ]
}
`)
	app := filepath.Join(base, "app")
	if out, err := c.Run(ctx, app, "update", "--no-install"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lock := filepath.Join(app, "composer.lock")
	old, err := manifests.Read(ctx, lock, "", Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	nw, err := manifests.Read(ctx, lock, "", Ecosystem{}.Siblings())
	if err != nil {
		t.Fatal(err)
	}
	set, err := Ecosystem{}.Open(ctx, old, nw, manifests.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cand, err := set.Candidate(nil)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(base, "lib"))
	if err != nil {
		t.Fatal(err)
	}
	js := string(cand.Files["composer.json"])
	if !strings.Contains(js, `"url": `+jsonString(abs)) || !strings.Contains(js, `"url": "packages/*"`) {
		t.Errorf("candidate composer.json does not anchor ../lib at %s and keep packages/*:\n%s", abs, js)
	}
	var lf struct {
		Packages []struct {
			Name string `json:"name"`
			Dist struct {
				URL string `json:"url"`
			} `json:"dist"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(cand.Files["composer.lock"], &lf); err != nil {
		t.Fatal(err)
	}
	for _, p := range lf.Packages {
		if want := map[string]string{"acme/lib": abs, "acme/inner": "packages/inner"}[p.Name]; p.Dist.URL != want {
			t.Errorf("%s: dist url %q, want %q", p.Name, p.Dist.URL, want)
		}
	}

	// The copy, as the local runner makes it: the project's files, then
	// the candidate's.
	copyDir := filepath.Join(t.TempDir(), "project")
	if err := os.CopyFS(copyDir, os.DirFS(app)); err != nil {
		t.Fatal(err)
	}
	if err := cand.Write(copyDir); err != nil {
		t.Fatal(err)
	}
	out, err := c.Run(ctx, copyDir, "install", "--no-progress")
	if err != nil {
		t.Fatalf("install in the copy: %v\n%s", err, out)
	}
	if strings.Contains(out, "not up to date") {
		t.Errorf("composer calls the candidate lock stale:\n%s", out)
	}
	if b, err := os.ReadFile(filepath.Join(copyDir, "vendor", "acme", "lib", "lib.php")); err != nil || !strings.Contains(string(b), "original") {
		t.Errorf("vendor/acme/lib in the copy: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(copyDir, "vendor", "acme", "inner", "composer.json")); err != nil {
		t.Errorf("vendor/acme/inner in the copy: %v", err)
	}
}
