package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopyTreeWithWorkDirInsideProject(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(src, "tmp", "bisect-1")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(t.Context(), src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a.txt")); err != nil || string(b) != "a" {
		t.Errorf("a.txt = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(dst, "tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the work directory's parent was copied into it (%v)", err)
	}
}

func TestCopyTreeCancelled(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := copyTree(ctx, src, dst); !errors.Is(err, context.Canceled) {
		t.Errorf("copyTree with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestCopyTreeThroughSymlinkedProject(t *testing.T) {
	real, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(real, "a.txt"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "project")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(t.Context(), link, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a.txt")); err != nil || string(b) != "a" {
		t.Errorf("a.txt = %q, %v: the project behind the symlink was not copied", b, err)
	}
}

func TestCopyTreeMissingProject(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	err := copyTree(t.Context(), missing, t.TempDir())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "project "+missing) {
		t.Errorf("copyTree of a missing project = %v, want ErrNotExist naming it", err)
	}
}
