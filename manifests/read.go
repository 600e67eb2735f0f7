package manifests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
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
	s := &Snapshot{Ref: ref, Dir: dir, Path: filepath.Base(p), Files: map[string][]byte{filepath.Base(p): data}}
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
	r, err := git.PlainOpenWithOptions(repo, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("%s: open git repository %s: %w (pass --repo)", ref, repo, err)
	}
	h, err := r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("%s: unknown revision %q in %s: %w", ref, rev, repo, err)
	}
	c, err := r.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("%s: revision %q is not a commit: %w", ref, rev, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	p = path.Clean(filepath.ToSlash(strings.TrimPrefix(p, "./")))
	s := &Snapshot{Ref: ref, Path: p, Files: map[string][]byte{}}
	data, err := blob(tree, p)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s at %s: %w", ref, p, rev, err)
	}
	s.Files[path.Base(p)] = data
	for _, name := range siblings {
		b, err := blob(tree, path.Join(path.Dir(p), name))
		if errors.Is(err, object.ErrFileNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: read %s at %s: %w", ref, name, rev, err)
		}
		s.Files[name] = b
	}
	return s, ctx.Err()
}

func blob(tree *object.Tree, p string) ([]byte, error) {
	f, err := tree.File(p)
	if err != nil {
		return nil, err
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}
