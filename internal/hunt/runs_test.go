package hunt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPruneRuns: a finished run's directory goes, listed with its size; a
// run in progress (holding its lock) and a run newer than --older-than stay.
func TestPruneRuns(t *testing.T) {
	parent := t.TempDir()
	mk := func(name string, size int, age time.Duration) string {
		dir := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
			t.Fatal(err)
		}
		j := filepath.Join(dir, "journal.jsonl")
		if err := os.WriteFile(j, []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		for _, p := range []string{j, filepath.Join(dir, "logs"), dir} {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	done := mk("done", 3<<10, 48*time.Hour)
	live := mk("live", 10, 48*time.Hour)
	fresh := mk("fresh", 10, time.Minute)
	unlock, err := lockDir(live)
	if err != nil {
		t.Fatal(err)
	}

	removed, err := pruneRuns(parent, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"run directory " + done + " (3.0 KiB)"}; strings.Join(removed, "\n") != strings.Join(want, "\n") {
		t.Errorf("removed %q, want %q", removed, want)
	}
	for dir, want := range map[string]bool{done: false, live: true, fresh: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", dir, err == nil, want)
		}
	}

	unlock()
	if removed, err = pruneRuns(parent, 0); err != nil || len(removed) != 2 {
		t.Errorf("after the run ended, with any age: removed %q, %v; want live and fresh", removed, err)
	}
}
