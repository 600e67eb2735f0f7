package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

// TestCommittedOutputIsCurrent regenerates the example into a scratch
// directory and compares every file with the committed one, so the
// committed proxy and locks cannot drift from the generator.
func TestCommittedOutputIsCurrent(t *testing.T) {
	testenv.NeedTools(t, "go")
	example := ".."
	scratch := t.TempDir()
	src, err := os.ReadFile(filepath.Join(example, "server", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(scratch, "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scratch, "server", "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), scratch); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(scratch, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(scratch, p)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(example, rel))
		if err != nil {
			t.Errorf("%s is generated but not committed: %v", rel, err)
			return nil
		}
		if string(got) != string(want) {
			t.Errorf("committed %s differs from the generator's output (run go run ./examples/go-mcp/gen)", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 16 module versions × (.info, .mod, .zip) + 6 lists + 2 × (go.mod, go.sum) + main.go
	if n != 16*3+6+4+1 {
		t.Errorf("compared %d files, want %d", n, 16*3+6+4+1)
	}
}
