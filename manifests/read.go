package manifests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
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
	s := &Snapshot{Ref: ref, Dir: dir, Path: filepath.Base(p), Files: map[string][]byte{filepath.Base(p): data},
		ReadFile: func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))) }}
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

// revision reads files of one commit; a missing file is an error wrapping
// fs.ErrNotExist.
type revision func(p string) ([]byte, error)

func readRev(ctx context.Context, ref, repo, rev, p string, siblings []string) (*Snapshot, error) {
	hint := ""
	if repo == "" {
		repo, hint = ".", " (pass --repo)"
	}
	read, err := openRevision(ctx, repo, rev)
	if err != nil {
		return nil, fmt.Errorf("%s: %w%s", ref, err, hint)
	}
	p = path.Clean(filepath.ToSlash(strings.TrimPrefix(p, "./")))
	dir := path.Dir(p)
	s := &Snapshot{Ref: ref, Path: p, Files: map[string][]byte{},
		ReadFile: func(rel string) ([]byte, error) { return read(path.Join(dir, rel)) }}
	data, err := read(p)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s at %s: %w", ref, p, rev, err)
	}
	s.Files[path.Base(p)] = data
	for _, name := range siblings {
		b, err := read(path.Join(dir, name))
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

// openRevision opens rev of the repository at repo through go-git. go-git
// refuses some repositories git itself reads (extensions such as
// worktreeConfig, which `git worktree` and sparse checkouts turn on); then
// the git command reads the blobs, and when that fails too the error says
// what each of them answered.
func openRevision(ctx context.Context, repo, rev string) (revision, error) {
	r, err := git.PlainOpenWithOptions(repo, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		read, gerr := gitCommand(ctx, repo, rev)
		if gerr != nil {
			return nil, fmt.Errorf("open git repository %s: go-git: %v; git: %w", repo, err, gerr)
		}
		return read, nil
	}
	h, err := r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("unknown revision %q in %s: %w", rev, repo, err)
	}
	c, err := r.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q in %s is not a commit: %w", rev, repo, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("tree of revision %q in %s: %w", rev, repo, err)
	}
	return func(p string) ([]byte, error) {
		data, err := blob(tree, p)
		if errors.Is(err, object.ErrFileNotFound) {
			return nil, fmt.Errorf("%w: %v", fs.ErrNotExist, err)
		}
		return data, err
	}, nil
}

// gitCommand reads blobs of rev with the git command.
func gitCommand(ctx context.Context, repo, rev string) (revision, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, err
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	out, err := run("rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, err
	}
	commit := strings.TrimSpace(string(out))
	return func(p string) ([]byte, error) {
		// ls-tree tells a missing file from a failing read.
		list, err := run("ls-tree", "--name-only", commit, "--", p)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(string(list)) == "" {
			return nil, fmt.Errorf("%w: %s not in %s", fs.ErrNotExist, p, commit)
		}
		return run("cat-file", "blob", commit+":"+p)
	}, nil
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
