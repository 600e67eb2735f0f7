package hunt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/local"
)

// ErrPreflight wraps what the checks before the first probe found: the
// run could not even start, and no probe was made.
var ErrPreflight = errors.New("preflight")

// preflight checks, before the first probe (and for --dry-run), everything
// that would otherwise fail every probe alike and so be mistaken for a
// verdict: templates that do not render, an oracle that cannot be made,
// a project that is not one, unusable temporary or cache directories, and
// for docker an engine that does not answer or a base image it lacks.
func preflight(ctx context.Context, o Options, project string) error {
	cfg := o.Config
	if err := checkProject(ctx, o, project); err != nil {
		return fmt.Errorf("%w: %w", ErrPreflight, err)
	}
	// Sample values: a template that renders with them renders for every
	// candidate, since only the values change.
	vars := runners.Vars{Port: 8080, Host: "127.0.0.1", Dir: project}
	if _, err := runners.Expand(cfg.Runner.Start, vars); err != nil {
		return fmt.Errorf("%w: runner.start: %w", ErrPreflight, err)
	}
	if _, err := runners.Environ(cfg.Runner.Env, vars); err != nil {
		return fmt.Errorf("%w: runner.%w", ErrPreflight, err)
	}
	for i, b := range cfg.Runner.Build {
		if _, err := runners.Expand(b, vars); err != nil {
			return fmt.Errorf("%w: runner.build[%d]: %w", ErrPreflight, i, err)
		}
	}
	if _, err := NewOracle(o.Kinds.Oracles, cfg.Oracle, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrPreflight, err)
	}
	if err := checkWritable(runsDir(o)); err != nil {
		return fmt.Errorf("%w: the run directory (journal and logs): %w", ErrPreflight, err)
	}
	if kind := o.Kinds.Runner(cfg); kind.Preflight != nil {
		if err := kind.Preflight(ctx, cfg.Runner, project); err != nil {
			return fmt.Errorf("%w: %s runner: %w", ErrPreflight, cfg.Runner.Kind, err)
		}
	}
	return nil
}

// checkTempDir says whether the temporary directory (TMPDIR) can hold
// the run's own directory: it is checked first, before that directory
// is made (which would make a missing TMPDIR).
func checkTempDir() error {
	tmp, err := os.MkdirTemp("", "bisect-preflight-")
	if err != nil {
		return fmt.Errorf("%w: the temporary directory %s (TMPDIR) cannot hold the candidates' work directories: %w", ErrPreflight, os.TempDir(), err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("%w: temporary directory: %w", ErrPreflight, err)
	}
	return nil
}

// checkProject refuses a project directory that is the root or the home
// directory, or holds more than runner.copy_limit: each candidate copies it.
func checkProject(ctx context.Context, o Options, project string) error {
	home, _ := os.UserHomeDir()
	switch filepath.Clean(project) {
	case "/", home:
		return fmt.Errorf("project %s: is the root or home directory, and each candidate would copy all of it; set project: to the server's own directory", project)
	}
	lim := o.Config.Runner.CopyLimit
	if err := local.CheckSize(ctx, project, lim.Files, int64(lim.Megabytes)<<20); err != nil {
		if errors.Is(err, local.ErrTooLarge) {
			return fmt.Errorf("%w; each candidate copies it: set project: to the server's own directory, or raise runner.copy_limit", err)
		}
		return err
	}
	return nil
}

// runsDir is where the run directory will be made: the given one, or the
// parent of the default ones.
func runsDir(o Options) string {
	if o.RunDir != "" {
		return o.RunDir
	}
	return runsParent()
}

// checkWritable says whether dir could be created and written: the
// nearest directory of it that exists must be writable. Nothing is
// created (a --dry-run leaves no trace).
func checkWritable(dir string) error {
	d := dir
	for {
		info, err := os.Stat(d)
		if err == nil {
			if !info.IsDir() {
				return fmt.Errorf("%s: %s is not a directory", dir, d)
			}
			if err := syscall.Access(d, 2 /* W_OK */); err != nil {
				return fmt.Errorf("%s: %s is not writable: %w", dir, d, err)
			}
			return nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: %w", dir, err)
		}
		d = parent
	}
}
