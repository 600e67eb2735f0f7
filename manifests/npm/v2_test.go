package npm

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockfileVersion2: a version 2 lock (with npm 6's legacy
// "dependencies" tree) diffs like version 3, its full candidate is the new
// lock byte for byte, and a candidate that rolls back is installed by npm
// ci and accepted by Validate, whose time is logged.
func TestLockfileVersion2(t *testing.T) {
	p := makeProject(t, "--lockfile-version", "2")
	if !strings.Contains(string(p.new.Files["package-lock.json"]), `"lockfileVersion": 2`) {
		t.Fatalf("npm did not write a version 2 lock")
	}
	s := p.open(t)
	if n := len(s.Diff().Changes); n != 8 {
		t.Errorf("%d changes, want 8 as with version 3", n)
	}
	var all []string
	for _, u := range s.Diff().Units {
		all = append(all, u.ID)
	}
	c, err := s.Candidate(all)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Files["package-lock.json"]) != string(p.new.Files["package-lock.json"]) {
		t.Errorf("full candidate differs from the new version 2 lock")
	}
	c, err = s.Candidate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c.Files["package-lock.json"]), `"dependencies": {
    "acme`) {
		t.Errorf("a rolled-back version 2 candidate keeps the legacy dependencies tree")
	}
	dir := filepath.Join(p.dir, "v2")
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Validate(t.Context(), dir, c); err != nil {
		t.Errorf("Validate: %v", err)
	}
	t.Logf("Validate (npm ci --dry-run --offline) took %v", time.Since(start))
	cmd := exec.Command("npm", "ci", "--ignore-scripts")
	cmd.Dir, cmd.Env = dir, p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	if bad := installedAsLocked(dir, c.Files["package-lock.json"]); bad != "" {
		t.Error(bad)
	}
}
