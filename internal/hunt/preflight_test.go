package hunt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/runners"
)

func TestCheckProject(t *testing.T) {
	small := t.TempDir()
	for _, name := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(small, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What the local runner leaves out is not counted.
	if err := os.MkdirAll(filepath.Join(small, "vendor", "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := os.WriteFile(filepath.Join(small, "vendor", "p", string(rune('a'+i))), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		project string
		files   int
		want    string // "" = accepted
	}{
		{"within the limit", small, 3, ""},
		{"too many files", small, 2, "holds more than 2 files (runner.copy_limit.files)"},
		{"root", "/", 100000, "is the root or home directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Config: &config.Config{Runner: config.Runner{Config: runners.Config{CopyLimit: runners.CopyLimit{Files: tt.files, Megabytes: 1}}}}}
			err := checkProject(t.Context(), o, tt.project)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("checkProject: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("checkProject: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		want string // "" = writable
	}{
		{"exists", dir, ""},
		{"would be created", filepath.Join(dir, "a", "b"), ""},
		{"below a file", filepath.Join(file, "runs"), "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkWritable(tt.dir)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("checkWritable: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("checkWritable: %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
				t.Error("checkWritable created a directory")
			}
		})
	}
}
