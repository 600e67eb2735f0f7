package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReportPaths: a report may not replace an input under another
// name either (a symlink, a hard link, a relative path).
func TestCheckReportPaths(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(lock, []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(lock, filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		md, js string
		want   string // "" = accepted
	}{
		{"fresh files", filepath.Join(dir, "r.md"), filepath.Join(dir, "r.json"), ""},
		{"hard link to the lock", filepath.Join(dir, "hard"), "", "an input of this run"},
		{"through a symlinked directory", filepath.Join(dir, "link", "go.mod"), "", "an input of this run"},
		{"same file by two names", filepath.Join(dir, "r.md"), filepath.Join(dir, "link", "r.md"), "name the same file"},
		{"a directory", "", dir, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkReportPaths(tt.md, tt.js, []string{lock})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("checkReportPaths: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("checkReportPaths: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
