package hunt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lockbisect/lockbisect/internal/gitrev"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/reports"
)

// SourceWorktree is the --source that builds the project's files as they
// are on disk.
const SourceWorktree = "worktree"

// source is the tree a run builds from: the project directory in it and
// where its files came from.
type source struct {
	project string // absolute project directory, what the runner copies
	lockDir string // the new lock's directory within the project ("" = its root)
	// newDir is the new lock's directory in this tree when the lock was
	// read elsewhere (manifests.Options.NewDir); "" = it was read here.
	newDir string
	// shown is the project as the user knows it, in the work tree, for
	// printed commands: a written-out revision is gone after the run.
	shown string
	info  reports.Source
	// note says what of the work tree is built or ignored, logged once
	// both locks are read (not before an error about them).
	note string
}

// key identifies the source in the journal's header.
func (s *source) key() string {
	if s.info.Kind == reports.SourceRevision {
		return "revision " + s.info.Commit
	}
	return SourceWorktree
}

// openSource resolves Options.Source: the revision of a REV:PATH new
// lock by default, else the work tree. A revision's whole tree is
// written out once into the run's own directory (owned), so that every
// runner copies the same files and a killed run's tree is swept with its
// work directories. Nothing of the work tree is read then; its
// uncommitted files are counted and said to be ignored.
func openSource(ctx context.Context, o Options, owned string, log *slog.Logger) (*source, error) {
	lockRev, lockPath := manifests.SplitRef(o.LockNew)
	rev, what := o.Source, "--source "+o.Source
	switch rev {
	case SourceWorktree:
		rev = ""
	case "":
		rev, what = lockRev, "the source (the revision of --lock-new "+o.LockNew+"; --source worktree builds the work tree instead)"
	}
	if rev == "" {
		return worktreeSource(ctx, o, lockRev != "", log)
	}
	repo := o.Repo
	if repo == "" {
		repo = "."
	}
	r, err := gitrev.Open(ctx, repo, rev)
	if errors.Is(err, gitrev.ErrNoRepository) {
		return nil, fmt.Errorf("%s: %w; --repo names the repository", what, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var lockInTree string
	if lockRev != "" {
		lockInTree = path.Clean(filepath.ToSlash(strings.TrimPrefix(lockPath, "./")))
		if rev == lockRev {
			// The lock is read from this revision later; a missing one is
			// named before its directory is missed as the project.
			if _, err := r.ReadFile(lockInTree); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("--lock-new %s: revision %s has no file %s", o.LockNew, reports.Revision(rev, r.Commit), lockInTree)
			}
		}
	} else if lockInTree, err = r.Within(lockPath); err != nil {
		return nil, fmt.Errorf("--lock-new %s: %w: with %s the project comes from that revision's tree", o.LockNew, err, what)
	}
	lockDirInTree := path.Dir(lockInTree)
	projectInTree := lockDirInTree
	if o.Config.Project != "" {
		if projectInTree, err = r.Within(o.Config.Project); err != nil {
			return nil, fmt.Errorf("project %s: %w: with %s the project comes from that revision's tree; --source worktree builds it from disk", o.Config.Project, err, what)
		}
	}
	lockDir, ok := below(projectInTree, lockDirInTree)
	if !ok {
		return nil, fmt.Errorf("the new lock %s lies outside the project %s of %s: candidates are written into the project (set project: to a directory that contains it)", o.LockNew, projectInTree, rev)
	}

	s := &source{lockDir: lockDir, info: reports.Source{Kind: reports.SourceRevision, Revision: rev, Commit: r.Commit}}
	tree := filepath.Join(owned, "source")
	subs, err := r.Checkout(ctx, tree)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for _, sub := range subs {
		log.Warn("a submodule is an empty directory in the source tree", "path", sub, "revision", rev)
	}
	s.project = filepath.Join(tree, filepath.FromSlash(projectInTree))
	if fi, err := os.Stat(s.project); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("project %s: not a directory in revision %s: %s names a project that revision does not have", projectInTree, reports.Revision(rev, r.Commit), what)
	}
	s.newDir = filepath.Join(tree, filepath.FromSlash(lockDirInTree))
	s.shown = s.project
	if r.Top != "" {
		s.shown = filepath.Join(r.Top, filepath.FromSlash(projectInTree))
		n, err := gitrev.Uncommitted(ctx, r.Top, s.shown)
		switch {
		case err != nil:
			log.Debug("cannot tell the work tree's uncommitted files", "err", err)
		case n > 0:
			s.info.Uncommitted = n
			s.note = fmt.Sprintf("ignoring the work tree's uncommitted changes to the project (%s): it comes from %s; --source worktree builds them", reports.Count(n, "file"), reports.Revision(rev, r.Commit))
		}
	}
	log.Debug("source tree", "revision", rev, "commit", r.Commit, "dir", tree)
	return s, nil
}

// worktreeSource is the project as it is on disk. lockFromRev says that
// the new lock was read from a revision: what the ecosystem reads beside
// it then comes from the work tree too, which is what is built.
func worktreeSource(ctx context.Context, o Options, lockFromRev bool, log *slog.Logger) (*source, error) {
	project, lockDir, err := projectDir(o)
	if err != nil {
		return nil, err
	}
	s := &source{project: project, lockDir: lockDir, shown: project, info: reports.Source{Kind: reports.SourceWorktree}}
	if lockFromRev {
		s.newDir = filepath.Join(project, filepath.FromSlash(lockDir))
	}
	n, err := gitrev.Uncommitted(ctx, project, project)
	switch {
	case err != nil:
		log.Debug("cannot tell the project's uncommitted files", "err", err)
	case n > 0:
		s.info.Uncommitted = n
		s.note = fmt.Sprintf("the project is built from the work tree, with its uncommitted changes (%s)", reports.Count(n, "file"))
	}
	return s, nil
}

// below is the slash-separated path of dir relative to parent, both
// slash-separated paths within one tree ("." for its top), when dir is
// parent or lies below it; "" for parent itself.
func below(parent, dir string) (string, bool) {
	switch {
	case parent == dir:
		return "", true
	case parent == ".":
		return dir, true
	case strings.HasPrefix(dir, parent+"/"):
		return dir[len(parent)+1:], true
	}
	return "", false
}
