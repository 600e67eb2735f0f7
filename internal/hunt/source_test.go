package hunt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/runners/local"
)

// gitRepo makes a repository whose main has two commits of app/go.mod
// (the second adds app/tools/go.mod), then leaves the work tree on
// main~1 with app/go.mod edited.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git := testenv.Git(t, dir)
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("app/go.mod", "module m\n")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	write("app/go.mod", "module m\n\nrequire x v1.0.0\n")
	write("app/tools/go.mod", "module m/tools\n")
	git("add", ".")
	git("commit", "-q", "-m", "two")
	git("checkout", "-q", "main~1")
	write("app/go.mod", "module m // edited\n")
	return dir
}

// TestOpenSource: by default the new lock's revision is written out and
// is the project, wherever project: points within the work tree; the
// work tree's edit is counted and left out; --source worktree is the
// work tree as it is; bad sources are named.
func TestOpenSource(t *testing.T) {
	dir := gitRepo(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	opts := func(source, project string) Options {
		return Options{LockNew: "main:app/go.mod", Repo: dir, Source: source, Config: &config.Config{Project: project}}
	}
	for _, project := range []string{"", filepath.Join(dir, "app")} {
		owned := t.TempDir()
		s, err := openSource(ctx, opts("", project), owned, log)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(owned, "source", "app"); s.project != want || s.newDir != want || s.lockDir != "" {
			t.Errorf("project %q: project %s, newDir %s, lockDir %q; want %s twice and \"\"", project, s.project, s.newDir, s.lockDir, want)
		}
		if b, err := os.ReadFile(filepath.Join(s.project, "tools", "go.mod")); err != nil || string(b) != "module m/tools\n" {
			t.Errorf("project %q: tools/go.mod = %q, %v; want main's", project, b, err)
		}
		if b, _ := os.ReadFile(filepath.Join(s.project, "go.mod")); strings.Contains(string(b), "edited") {
			t.Errorf("project %q: the work tree's edit is in the source tree", project)
		}
		if s.info.Kind != reports.SourceRevision || s.info.Revision != "main" || len(s.info.Commit) != 40 || s.info.Uncommitted != 1 {
			t.Errorf("project %q: info %+v, want main's commit and 1 uncommitted file", project, s.info)
		}
		if s.shown != filepath.Join(dir, "app") {
			t.Errorf("project %q: shown %s, want the work tree's app", project, s.shown)
		}
	}

	s, err := openSource(ctx, opts(SourceWorktree, ""), t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	if s.project != filepath.Join(dir, "app") || s.info.Kind != reports.SourceWorktree || s.info.Uncommitted != 1 || s.newDir != s.project {
		t.Errorf("worktree: %+v", s)
	}

	// A lock on disk with --source REV: the project is the lock's
	// directory, placed in the revision's tree.
	owned := t.TempDir()
	s, err = openSource(ctx, Options{LockNew: filepath.Join(dir, "app", "go.mod"), Repo: dir, Source: "main", Config: &config.Config{}}, owned, log)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(owned, "source", "app"); s.project != want || s.info.Revision != "main" {
		t.Errorf("lock on disk, --source main: project %s (want %s), info %+v", s.project, want, s.info)
	}

	nogit := t.TempDir()
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{opts("nosuch", ""), `--source nosuch: unknown revision "nosuch"`},
		{Options{LockNew: "main:app/nope/go.mod", Repo: dir, Config: &config.Config{}}, "--lock-new main:app/nope/go.mod: revision main ("},
		{Options{LockNew: "main:app/tools/go.mod", Repo: dir, Source: "main~1", Config: &config.Config{}}, "project app/tools: not a directory in revision main~1"},
		{opts("", filepath.Join(dir, "app", "tools")), "the new lock main:app/go.mod lies outside the project app/tools"},
		{opts("", t.TempDir()), "lies outside the repository"},
		{Options{LockNew: "app/go.mod", Repo: nogit, Source: "HEAD", Config: &config.Config{}}, "--source HEAD: " + nogit + " is not in a git repository (no .git found in it or above it); --repo names the repository"},
	} {
		owned := t.TempDir()
		if _, err := openSource(ctx, tt.o, owned, log); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--lock-new %s --source %q, project %q: %v, want %q", tt.o.LockNew, tt.o.Source, tt.o.Config.Project, err, tt.want)
		}
	}
}

// TestSourceSweptAfterKill: the tree a run wrote out is removed by the
// local runner's sweep once the run is killed. The run is this test's
// binary in a child process, killed with SIGKILL after writing it.
func TestSourceSweptAfterKill(t *testing.T) {
	if repo := os.Getenv("HUNT_SOURCE_CHILD"); repo != "" {
		ctx := context.Background()
		log := slog.New(slog.DiscardHandler)
		owned, err := local.Own(ctx, "", false, log)
		if err != nil {
			t.Fatal(err)
		}
		s, err := openSource(ctx, Options{LockNew: "main:app/go.mod", Repo: repo, Config: &config.Config{}}, owned.Dir, log)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("project", s.project)
		time.Sleep(time.Minute) // killed before
		t.Fatal("not killed")
	}
	dir := gitRepo(t)
	tmp := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestSourceSweptAfterKill$", "-test.v")
	child.Env = append(os.Environ(), "HUNT_SOURCE_CHILD="+dir, "TMPDIR="+tmp)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	var project string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "project "); ok {
			project = p
			break
		}
	}
	if project == "" {
		child.Process.Kill()
		child.Wait()
		t.Fatal("the child wrote out no source tree")
	}
	root := filepath.Join(tmp, "lockbisect-local-"+strconv.Itoa(os.Getuid()))
	if !strings.HasPrefix(project, root+"/") {
		t.Fatalf("the source tree %s is not below the local runner's root %s", project, root)
	}
	if _, err := os.Stat(filepath.Join(project, "tools", "go.mod")); err != nil {
		t.Fatalf("the source tree is not there: %v", err)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	removed, err := local.Sweep(root, local.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || !strings.Contains(removed[0], "local work directory "+root) {
		t.Errorf("Sweep removed %q, want the dead run's directory", removed)
	}
	if _, err := os.Stat(project); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dead run's source tree %s is still there (%v)", project, err)
	}
	if entries, _ := os.ReadDir(root); len(entries) > 0 {
		t.Errorf("%s still holds %s", root, entries[0].Name())
	}
}
