package npm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

// TestValidateCacheInTempDir: Validate's empty npm cache is made in
// manifests.Options.TempDir (the run's own directory, which the sweep
// removes should the run be killed) and is gone when Validate returns.
func TestValidateCacheInTempDir(t *testing.T) {
	p := makeProject(t)
	open := func(tmp string) *set {
		s, err := Ecosystem{}.Open(context.Background(), p.old, p.new, manifests.Options{Env: p.reg.Env(p.dir), TempDir: tmp})
		if err != nil {
			t.Fatal(err)
		}
		return s.(*set)
	}
	s := open("")
	var all []string
	for _, u := range s.Diff().Units {
		all = append(all, u.ID)
	}
	c, err := s.Candidate(all)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(p.dir, "candidate")
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}

	tmp := filepath.Join(p.dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := open(tmp).Validate(t.Context(), dir, c); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("Validate left %s in its TempDir", entries[0].Name())
	}

	// A TempDir that cannot hold the cache is where Validate fails.
	file := filepath.Join(p.dir, "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := open(file).Validate(t.Context(), dir, c); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Validate with TempDir a file: %v, want an error naming %s", err, file)
	}
}
