package gitrev

import (
	"bufio"
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
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxDepth bounds the nesting of directories in a tree (a malformed
// repository could refer a tree to itself).
const maxDepth = 1024

// ErrNoRepository is Open's error when repo lies in no git repository.
var ErrNoRepository = errors.New("no .git found in it or above it")

// Revision is one commit of a repository.
type Revision struct {
	Name   string // as given: HEAD, main~1, a hash
	Commit string // the commit's full hash
	// Top is the top-level directory of the repository's work tree
	// (absolute); "" for a bare repository.
	Top string

	read     func(p string) ([]byte, error)
	checkout func(ctx context.Context, dir string) ([]string, error)
}

// Open opens rev of the repository at repo (or a directory within it).
func Open(ctx context.Context, repo, rev string) (*Revision, error) {
	r, err := git.PlainOpenWithOptions(repo, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		out, gerr := openCLI(ctx, repo, rev)
		if gerr == nil {
			return out, nil
		}
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s is not in a git repository (%w)", repo, ErrNoRepository)
		}
		return nil, fmt.Errorf("open git repository %s: go-git: %v; git: %w", repo, err, gerr)
	}
	h, err := r.ResolveRevision(plumbing.Revision(rev))
	if errors.Is(err, io.EOF) {
		// go-git's answer to an ancestor (~N, ^N) beyond the first commit.
		err = errors.New("the history ends before it")
	}
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
	out := &Revision{Name: rev, Commit: c.Hash.String()}
	if wt, err := r.Worktree(); err == nil {
		if out.Top, err = filepath.Abs(wt.Filesystem.Root()); err != nil {
			return nil, err
		}
	}
	out.read = func(p string) ([]byte, error) {
		f, err := tree.File(p)
		if errors.Is(err, object.ErrFileNotFound) {
			return nil, fs.ErrNotExist
		}
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
	out.checkout = func(ctx context.Context, dir string) ([]string, error) {
		w := &writer{ctx: ctx, blob: func(h string, wr io.Writer) error {
			b, err := r.BlobObject(plumbing.NewHash(h))
			if err != nil {
				return err
			}
			rd, err := b.Reader()
			if err != nil {
				return err
			}
			defer rd.Close()
			_, err = io.Copy(wr, rd)
			return err
		}}
		err := w.tree(r, tree, dir, "", 0)
		return w.subs, err
	}
	return out, nil
}

// ReadFile reads the file at the slash-separated path p of the revision's
// tree (from its top); the error wraps fs.ErrNotExist when it is absent.
func (r *Revision) ReadFile(p string) ([]byte, error) { return r.read(p) }

// Checkout writes the revision's whole tree into dir, which must not
// exist (see the package documentation for what is written how). It
// returns the paths of the submodules, each left an empty directory.
func (r *Revision) Checkout(ctx context.Context, dir string) ([]string, error) {
	subs, err := r.checkout(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("write the tree of %s (%s) into %s: %w", r.Name, Short(r.Commit), dir, err)
	}
	return subs, nil
}

// Short is the first 7 digits of a hash, as git shows them.
func Short(hash string) string {
	if len(hash) > 7 {
		return hash[:7]
	}
	return hash
}

// writer writes a tree's entries below a directory; blob copies the
// content of a blob (by its hash) to a writer.
type writer struct {
	ctx  context.Context
	blob func(hash string, w io.Writer) error
	subs []string
}

// entry writes one entry of a tree at p (the directory of a tree entry
// already made).
func (w *writer) entry(name, p string, mode filemode.FileMode, hash string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	switch mode {
	case filemode.Submodule:
		w.subs = append(w.subs, name)
		return os.Mkdir(p, 0o755)
	case filemode.Symlink:
		var target bytes.Buffer
		if err := w.blob(hash, &target); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return os.Symlink(target.String(), p)
	case filemode.Regular, filemode.Deprecated, filemode.Executable:
		perm := os.FileMode(0o644)
		if mode == filemode.Executable {
			perm = 0o755
		}
		// O_EXCL: never write through something already there (a
		// symbolic link of a malformed tree with a duplicate name).
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		err = w.blob(hash, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("%s: unknown file mode %o", name, uint32(mode))
}

// tree writes t into dir (named base within the revision's tree).
func (w *writer) tree(r *git.Repository, t *object.Tree, dir, base string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: directories nested deeper than %d", base, maxDepth)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for _, e := range t.Entries {
		if err := checkName(base, e.Name); err != nil {
			return err
		}
		name, p := path.Join(base, e.Name), filepath.Join(dir, e.Name)
		if e.Mode != filemode.Dir {
			if err := w.entry(name, p, e.Mode, e.Hash.String()); err != nil {
				return err
			}
			continue
		}
		sub, err := r.TreeObject(e.Hash)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := w.tree(r, sub, p, name, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// checkName refuses an entry name that would write outside its
// directory, or into a .git directory (git's fsck refuses them too).
func checkName(dir, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || strings.EqualFold(name, ".git") {
		return fmt.Errorf("%s: tree entry %q is not a file name git writes", dir, name)
	}
	return nil
}

// cli runs the git command in a repository.
type cli struct {
	ctx  context.Context
	repo string
}

func (g cli) run(args ...string) ([]byte, error) {
	cmd := exec.CommandContext(g.ctx, "git", append([]string{"--no-optional-locks", "-C", g.repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// openCLI opens rev with the git command.
func openCLI(ctx context.Context, repo, rev string) (*Revision, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, err
	}
	g := cli{ctx, repo}
	out, err := g.run("rev-parse", "--verify", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, err
	}
	commit := strings.TrimSpace(string(out))
	r := &Revision{Name: rev, Commit: commit}
	if top, err := g.run("rev-parse", "--show-toplevel"); err == nil {
		r.Top = strings.TrimSpace(string(top))
	}
	r.read = func(p string) ([]byte, error) {
		// ls-tree tells a missing file from a failing read.
		list, err := g.run("ls-tree", "--name-only", "--full-tree", commit, "--", p)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(string(list)) == "" {
			return nil, fs.ErrNotExist
		}
		return g.run("cat-file", "blob", commit+":"+p)
	}
	r.checkout = func(ctx context.Context, dir string) ([]string, error) {
		return cli{ctx, repo}.checkout(commit, dir)
	}
	return r, nil
}

// checkout writes the tree of commit into dir: ls-tree lists every entry
// (each tree before what it holds), one cat-file --batch process reads
// the blobs raw.
func (g cli) checkout(commit, dir string) ([]string, error) {
	list, err := g.run("ls-tree", "-r", "-t", "-z", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(g.ctx, "git", "-C", g.repo, "cat-file", "--batch")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	out := bufio.NewReader(stdout)
	w := &writer{ctx: g.ctx, blob: func(h string, wr io.Writer) error {
		if _, err := fmt.Fprintln(in, h); err != nil {
			return err
		}
		header, err := out.ReadString('\n')
		if err != nil {
			return fmt.Errorf("git cat-file: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
		f := strings.Fields(header)
		if len(f) != 3 || f[1] != "blob" {
			return fmt.Errorf("git cat-file %s: %s", h, strings.TrimSpace(header))
		}
		n, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("git cat-file %s: %s", h, strings.TrimSpace(header))
		}
		if _, err := io.CopyN(wr, out, n); err != nil {
			return err
		}
		_, err = out.Discard(1) // the newline after the content
		return err
	}}
	err = g.writeList(w, list, dir)
	in.Close()
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("git cat-file: %w: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return w.subs, err
}

// writeList writes the entries of `ls-tree -r -t -z` output below dir.
func (g cli) writeList(w *writer, list []byte, dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	// Every entry goes into a directory made here, never through a
	// symbolic link a malformed tree named like a directory.
	made := map[string]bool{".": true}
	for _, rec := range strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		if rec == "" {
			continue
		}
		meta, name, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return fmt.Errorf("git ls-tree: unexpected line %q", rec)
		}
		for _, part := range strings.Split(name, "/") {
			if err := checkName(path.Dir(name), part); err != nil {
				return err
			}
		}
		m, err := strconv.ParseUint(f[0], 8, 32)
		if err != nil {
			return fmt.Errorf("git ls-tree: unexpected mode in %q", rec)
		}
		if !made[path.Dir(name)] {
			return fmt.Errorf("git ls-tree: %s is not in a directory of the tree", name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if filemode.FileMode(m) == filemode.Dir {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			made[name] = true
			continue
		}
		if err := w.entry(name, p, filemode.FileMode(m), f[2]); err != nil {
			return err
		}
	}
	return nil
}

// Uncommitted counts the files below dir, a directory of the work tree of
// the repository at repo, that differ from HEAD as `git status` lists
// them: modified, staged, deleted and untracked files that are not
// ignored. Submodules are not looked into.
func Uncommitted(ctx context.Context, repo, dir string) (int, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	r, err := git.PlainOpenWithOptions(repo, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		n, gerr := cli{ctx, repo}.uncommitted(abs)
		if gerr != nil {
			return 0, fmt.Errorf("status of %s: go-git: %v; git: %w", repo, err, gerr)
		}
		return n, nil
	}
	wt, err := r.Worktree()
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", repo, err)
	}
	top, err := filepath.Abs(wt.Filesystem.Root())
	if err != nil {
		return 0, err
	}
	rel, err := within(top, abs)
	if err != nil {
		return 0, err
	}
	st, err := wt.Status()
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", repo, err)
	}
	// go-git takes a submodule that is not checked out (an empty
	// directory) for a deleted file; git does not list it.
	subs := map[string]bool{}
	if idx, err := r.Storer.Index(); err == nil {
		for _, e := range idx.Entries {
			if e.Mode == filemode.Submodule {
				subs[e.Name] = true
			}
		}
	}
	n := 0
	for p, s := range st {
		if (rel == "." || p == rel || strings.HasPrefix(p, rel+"/")) && !subs[p] &&
			(s.Staging != git.Unmodified || s.Worktree != git.Unmodified) {
			n++
		}
	}
	return n, ctx.Err()
}

// uncommitted is Uncommitted through the git command.
func (g cli) uncommitted(dir string) (int, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return 0, err
	}
	out, err := g.run("status", "--porcelain", "-z", "--untracked-files=all", "--", dir)
	if err != nil {
		return 0, err
	}
	n := 0
	recs := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for i := 0; i < len(recs); i++ {
		if recs[i] == "" {
			continue
		}
		n++
		if c := recs[i][0]; c == 'R' || c == 'C' {
			i++ // a rename or copy names its source in the next record
		}
	}
	return n, nil
}

// within is the slash-separated path of p (absolute) relative to top,
// when p lies within it; symbolic links are resolved first.
func within(top, p string) (string, error) {
	rel, err := filepath.Rel(resolve(top), resolve(p))
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%s lies outside the repository %s", p, top)
	}
	return filepath.ToSlash(rel), nil
}

// resolve is the absolute path p with the symbolic links of its longest
// existing part resolved (the rest may not exist: a directory of another
// branch).
func resolve(p string) string {
	rest := ""
	for d := p; ; d = filepath.Dir(d) {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(d) == d {
			return p
		}
		rest = filepath.Join(filepath.Base(d), rest)
	}
}

// Within is the slash-separated path of p relative to the top of the
// revision's work tree, when p (on disk, existing or not) lies within it.
func (r *Revision) Within(p string) (string, error) {
	if r.Top == "" {
		return "", fmt.Errorf("%s: the repository has no work tree to place it in", p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return within(r.Top, abs)
}
