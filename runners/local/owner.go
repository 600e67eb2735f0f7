//go:build unix

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lockbisect/lockbisect/internal/proc"
)

// What a run leaves when it is killed (SIGKILL, a crash) is found again by
// ownership. Every Runner keeps its work directories in a directory of its
// own below the root, named for the bisect process that owns it (its pid
// and start time) and holding an owner record; every process it starts
// carries ProbeEnv=<owner>/<work directory> in its environment, which all
// its descendants inherit, also those that leave its process group with
// setsid. So the stop of a probe ends every process of that probe, and the
// next run or `bisect clean` ends a dead run's processes and removes its
// directories.

// ProbeEnv is the environment variable that marks the processes of a probe.
const ProbeEnv = "BISECT_PROBE"

const ownerFile = "owner"

// owner is the record of the bisect process that owns a directory.
type owner struct {
	PID     int    `json:"pid"`
	Start   string `json:"start"` // /proc start time, so that a later process with the pid is not taken for it
	Host    string `json:"host"`  // a pid means nothing on another host (a shared temporary directory)
	Created int64  `json:"created"`
	Keep    bool   `json:"keep,omitempty"` // --keep: the directories are for the user; only clean --all removes them
}

// Root is the directory below which runners keep their work directories:
// tempDir, or <system temporary directory>/lockbisect-local-<uid> (one per
// user: a shared temporary directory must not let one user's root stop
// another's runs, and processes of another user cannot be told apart).
func Root(tempDir string) string {
	if tempDir != "" {
		return tempDir
	}
	return filepath.Join(os.TempDir(), "lockbisect-local-"+strconv.Itoa(os.Getuid()))
}

// Owned is a directory of this process below the root, with its owner
// record: what a run keeps there is removed by the next run, or by
// `bisect clean`, when the run is killed.
type Owned struct {
	Dir         string
	defaultRoot bool // the root is Root(""), removed when the last directory in it goes
}

// Own sweeps what dead runs left below Root(tempDir) (see Sweep), then
// creates a directory of this process there. keep marks it for the user
// (--keep): only `bisect clean --all` removes it once the run is gone.
func Own(ctx context.Context, tempDir string, keep bool, log *slog.Logger) (*Owned, error) {
	root := Root(tempDir)
	removed, err := Sweep(root, SweepOptions{})
	for _, line := range removed {
		log.InfoContext(ctx, "removed what a dead run left", "what", line)
	}
	if err != nil {
		log.WarnContext(ctx, "sweep dead runs' work directories", "err", err)
	}
	dir, err := newOwnerDir(root, keep)
	if err != nil {
		return nil, err
	}
	return &Owned{Dir: dir, defaultRoot: tempDir == ""}, nil
}

// Close removes the directory, and the default root too when that leaves
// it empty.
func (o *Owned) Close() error {
	if err := removeAll(o.Dir); err != nil {
		return err
	}
	if o.defaultRoot {
		_ = os.Remove(filepath.Dir(o.Dir)) // fails, as it should, while it holds another run's directory
	}
	return nil
}

// newOwnerDir creates this process's directory below root with its record.
func newOwnerDir(root string, keep bool) (string, error) {
	self := os.Getpid()
	st, err := proc.Read(self)
	if err != nil {
		return "", fmt.Errorf("read this process's start time: %w", err)
	}
	host, _ := os.Hostname()
	var dir string
	// Another run's Close removes the root when it leaves it empty: if it
	// does so between the two calls, make it again (bounded).
	for range 3 {
		if err := os.MkdirAll(root, 0o700); err != nil {
			return "", fmt.Errorf("create %s: %w", root, err)
		}
		if dir, err = os.MkdirTemp(root, strconv.Itoa(self)+"-"+st.Start+"-"); !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("create work directory: %w", err)
	}
	b, _ := json.Marshal(owner{PID: self, Start: st.Start, Host: host, Created: time.Now().Unix(), Keep: keep})
	if err := os.WriteFile(filepath.Join(dir, ownerFile), b, 0o644); err != nil {
		return "", fmt.Errorf("write owner record in %s: %w", dir, err)
	}
	return dir, nil
}

// alive reports whether the owner still runs on this host; an owner on
// another host is taken as alive, since nothing here can tell.
func (o owner) alive() bool {
	if host, _ := os.Hostname(); o.Host != host {
		return true
	}
	st, err := proc.Read(o.PID)
	return err == nil && st.Start == o.Start
}

// SweepOptions choose what Sweep removes.
type SweepOptions struct {
	Kept      bool          // also directories kept with --keep
	OlderThan time.Duration // only owners that started longer ago; 0 = any age
}

// Sweep ends the processes and removes the work directories that dead
// bisect processes left below root. Live runs are never touched. It
// returns a line per removed directory; an error names what could not be
// removed, after trying everything.
func Sweep(root string, opts SweepOptions) ([]string, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", root, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not a runner's directory, or one being created
		}
		var o owner
		if json.Unmarshal(b, &o) != nil || o.alive() || o.Keep && !opts.Kept ||
			opts.OlderThan > 0 && time.Since(time.Unix(o.Created, 0)) <= opts.OlderThan {
			continue
		}
		n, err := endProcesses(func(mark string) bool { return strings.HasPrefix(mark, e.Name()+"/") })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := removeAll(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		line := "local work directory " + dir
		if n > 0 {
			line += fmt.Sprintf(" and %d processes", n)
		}
		removed = append(removed, line)
	}
	return removed, errors.Join(errs...)
}

// endProcesses kills every process (of this user: others' environments
// cannot be read) whose ProbeEnv value matches, waits until they are gone,
// and reaps those re-parented to this process (a child subreaper). It
// returns how many it killed.
func endProcesses(match func(mark string) bool) (int, error) {
	pids, err := proc.Pids()
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	var killed []int
	for _, pid := range pids {
		if mark, ok := proc.Getenv(pid, ProbeEnv); ok && pid != self && match(mark) {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed = append(killed, pid)
			}
		}
	}
	deadline := time.Now().Add(killWait)
	for _, pid := range killed {
		for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
			st, err := proc.Read(pid)
			if err != nil {
				break
			}
			if st.State == "Z" || st.State == "X" {
				if st.PPID == self {
					var ws syscall.WaitStatus
					_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
				}
				break
			}
			if time.Now().After(deadline) {
				return len(killed), fmt.Errorf("process %d still runs after SIGKILL", pid)
			}
			time.Sleep(delay)
		}
	}
	return len(killed), nil
}
