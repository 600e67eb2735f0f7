package manifests

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lockbisect/lockbisect/internal/gitrev"
)

// SplitRef splits REV:PATH. A reference that names an existing file, or has
// no colon, is a plain path (rev is empty).
func SplitRef(ref string) (rev, p string) {
	if _, err := os.Stat(ref); err == nil {
		return "", ref
	}
	if i := strings.Index(ref, ":"); i > 0 {
		return ref[:i], ref[i+1:]
	}
	return "", ref
}

// Read loads the lock file named by ref and those of its siblings that exist.
// ref is a file path or REV:PATH resolved in the git repository at repo
// (default "."); reading a revision never touches the work tree.
func Read(ctx context.Context, ref, repo string, siblings []string) (*Snapshot, error) {
	rev, p := SplitRef(ref)
	if rev == "" {
		return readFile(ref, p, siblings)
	}
	return readRev(ctx, ref, repo, rev, p, siblings)
}

func readFile(ref, p string, siblings []string) (*Snapshot, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read lock %s: %w", ref, err)
	}
	dir := filepath.Dir(p)
	s := &Snapshot{Ref: ref, Path: filepath.Base(p), Files: map[string][]byte{filepath.Base(p): data}}
	s.readFrom(dir)
	for _, name := range siblings {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s beside %s: %w", name, ref, err)
		}
		s.Files[name] = b
	}
	return s, nil
}

func readRev(ctx context.Context, ref, repo, rev, p string, siblings []string) (*Snapshot, error) {
	if repo == "" {
		repo = "."
	}
	r, err := gitrev.Open(ctx, repo, rev)
	if errors.Is(err, gitrev.ErrNoRepository) {
		return nil, fmt.Errorf("%s: %w; --repo names the repository", ref, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	p = path.Clean(filepath.ToSlash(strings.TrimPrefix(p, "./")))
	dir := path.Dir(p)
	s := &Snapshot{Ref: ref, Path: p, Files: map[string][]byte{},
		ReadFile: func(rel string) ([]byte, error) { return r.ReadFile(path.Join(dir, rel)) }}
	data, err := r.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s at %s: %w", ref, p, rev, err)
	}
	s.Files[path.Base(p)] = data
	for _, name := range siblings {
		b, err := r.ReadFile(path.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: read %s at %s: %w", ref, name, rev, err)
		}
		s.Files[name] = b
	}
	return s, ctx.Err()
}

// readFrom makes the snapshot read the other files of its state from
// dir, the lock's directory on disk.
func (s *Snapshot) readFrom(dir string) {
	s.Dir = dir
	s.ReadFile = func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))) }
}
