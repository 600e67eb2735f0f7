//go:build unix

package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/lockbisect/lockbisect/internal/proc"
	"github.com/lockbisect/lockbisect/runners"
)

const (
	host = "127.0.0.1"
	// killWait bounds the wait for processes after SIGKILL: only a process
	// stuck in the kernel survives it that long.
	killWait = 5 * time.Second
	// pipeGrace is how long output is still copied after a command's
	// leader exited while something it started holds its output open.
	pipeGrace = 2 * time.Second
	// attemptTimeout bounds one readiness request, so that a server that
	// accepts but never answers is asked again rather than waited for.
	attemptTimeout = 2 * time.Second
)

// Options tune a Runner.
type Options struct {
	Keep    bool         // leave work directories in place after Stop (their paths are logged)
	Logger  *slog.Logger // nil = no log
	TempDir string       // root of the work directories (see Root); "" = <os.TempDir()>/lockbisect-local-<uid>
	// Owned, if set, is the directory of this process (made by Own) that
	// holds the work directories; its maker removes it. nil = the first
	// Start makes one below TempDir's root, and Close removes it.
	Owned *Owned
}

// Runner starts candidates as processes on this host. It is safe for
// concurrent use: every Start has its own work directory and port.
type Runner struct {
	cfg     runners.Config
	project string
	opts    Options
	log     *slog.Logger
	// freePort picks the port a candidate serves on. It is a field so that
	// tests can hand out a port that is already taken.
	freePort func() (int, error)

	ownerOnce sync.Once
	owner     *Owned // this process's directory below Root, made by the first Start
	ownerErr  error
}

var _ runners.Runner = (*Runner)(nil)

// Kind is the local runner for a registry of S.
func Kind[S runners.Settings]() runners.Kind[S] {
	return runners.Kind[S]{
		Name: "local",
		New: func(_ context.Context, s S, project string, o runners.Options) (runners.Runner, func(context.Context) error, error) {
			opts := Options{Keep: o.Keep, Logger: o.Logger}
			if o.TempDir != "" {
				opts.Owned = &Owned{Dir: o.TempDir}
			}
			r := New(s.RunnerConfig(), project, opts)
			return r, func(context.Context) error { return r.Close() }, nil
		},
	}
}

// New returns a runner for the project directory with the runner settings
// cfg. Zero settings take the defaults documented on runners.Config.
func New(cfg runners.Config, project string, opts Options) *Runner {
	cfg.Defaults(nil)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, project: project, opts: opts, log: log, freePort: freePort}
}

// Start copies the project into a fresh work directory, writes the
// candidate's files, builds and starts it, and returns once it is ready.
// Errors that the candidate causes wrap runners.ErrUntestable; whatever
// Start created is gone when it returns an error.
func (r *Runner) Start(ctx context.Context, p runners.Request) (_ *runners.Instance, err error) {
	hash := p.Candidate.Hash()
	owned, err := r.owned(ctx)
	if err != nil {
		return nil, err
	}
	// The work directory holds the project's copy and a TMPDIR of its own,
	// so that what build tools leave in their temporary directories when
	// they are killed goes away with it.
	root, err := os.MkdirTemp(owned, hash[:12]+"-")
	if err != nil {
		return nil, fmt.Errorf("%w: create work directory: %w", runners.ErrSetup, err)
	}
	dir, tmp := filepath.Join(root, "project"), filepath.Join(root, "tmp")
	w := &work{r: r, root: root, dir: dir, mark: filepath.Base(owned) + "/" + filepath.Base(root)}
	defer func() {
		if err != nil {
			if serr := w.Stop(ctx); serr != nil {
				r.log.WarnContext(ctx, "clean up after a failed start", "dir", dir, "err", serr)
			}
		}
	}()
	log := r.log.With("candidate", hash[:12], "dir", dir)

	port, err := r.freePort()
	if err != nil {
		return nil, fmt.Errorf("pick a free port on %s: %w", host, err)
	}
	vars := runners.Vars{Port: port, Host: host, Dir: dir}
	env, err := runners.Environ(r.cfg.Env, vars)
	if err != nil {
		return nil, fmt.Errorf("%w: runner: %w", runners.ErrSetup, err)
	}
	// runner.env comes later and so wins over this TMPDIR; nothing wins
	// over the mark that finds the probe's processes wherever they go.
	env = append(append([]string{"TMPDIR=" + tmp}, env...), ProbeEnv+"="+w.mark)
	for _, d := range []string{dir, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, fmt.Errorf("%w: create work directory: %w", runners.ErrSetup, err)
		}
	}
	builds := make([]string, len(r.cfg.Build))
	for i, b := range r.cfg.Build {
		if builds[i], err = runners.Expand(b, vars); err != nil {
			return nil, fmt.Errorf("%w: runner.build[%d]: %w", runners.ErrSetup, i, err)
		}
	}
	start, err := runners.Expand(r.cfg.Start, vars)
	if err != nil {
		return nil, fmt.Errorf("%w: runner.start: %w", runners.ErrSetup, err)
	}

	if err := copyTree(ctx, r.project, dir); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", runners.ErrSetup, err)
	}
	for name := range p.Candidate.Files {
		// A read-only copy of a lock file must still take the candidate's.
		path := filepath.Join(dir, filepath.FromSlash(name))
		if info, err := os.Lstat(path); err == nil && info.Mode().IsRegular() {
			_ = os.Chmod(path, info.Mode().Perm()|0o200)
		}
	}
	if err := p.Candidate.Write(dir); err != nil {
		return nil, fmt.Errorf("%w: work directory %s: %w", runners.ErrSetup, dir, err)
	}
	if p.Validate != nil {
		if err := p.Validate(ctx, dir); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("validate candidate: %w", ctx.Err())
			}
			return nil, fmt.Errorf("%w: candidate %s: %w", runners.ErrUntestable, hash[:12], err)
		}
	}

	began := time.Now()
	for _, b := range builds {
		log.DebugContext(ctx, "build", "command", b)
		if err := build(ctx, dir, b, env, r.cfg.BuildTimeout, p.Logs); err != nil {
			return nil, err
		}
	}
	inst := &runners.Instance{
		Host:         host,
		Dir:          dir,
		Env:          env,
		BuildSeconds: time.Since(began).Seconds(),
		Stop:         w.Stop,
	}
	if start == "" {
		return inst, nil
	}

	log.DebugContext(ctx, "start", "command", start, "port", port)
	if err := w.startServer(start, env, p.Logs); err != nil {
		return nil, err
	}
	if err := w.ready(ctx, start, port); err != nil {
		return nil, err
	}
	log.DebugContext(ctx, "ready", "port", port)
	inst.Port = port
	inst.BaseURL = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	return inst, nil
}

// command prepares sh -c line in dir as the leader of a new process group,
// its output going to logs and to a tail kept for error messages.
func command(ctx context.Context, dir, line string, env []string, logs io.Writer) (*exec.Cmd, *tail) {
	fmt.Fprintf(logs, "$ %s\n", line)
	t := &tail{}
	out := io.MultiWriter(logs, t)
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	// One writer for both streams: exec then shares one pipe, so lines
	// keep their order and the writer is never called concurrently.
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = pipeGrace
	return cmd, t
}

// build runs one build command to its end, for at most timeout.
// Cancelling ctx or the timeout kills its whole process group; a build
// that timed out is untestable (a hang), not failed.
func build(ctx context.Context, dir, line string, env []string, timeout time.Duration, logs io.Writer) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, t := command(ctx, dir, line, env, logs)
	cmd.Cancel = func() error { return proc.SignalGroup(cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever the command left behind in its group goes with it.
		pgid := cmd.Process.Pid
		_ = proc.SignalGroup(pgid, syscall.SIGKILL)
		if !proc.WaitGroup(pgid, time.Now().Add(killWait)) {
			return fmt.Errorf("build %q: process group %d still runs after SIGKILL", line, pgid)
		}
	}
	if parent.Err() != nil {
		return fmt.Errorf("build %q: %w", line, parent.Err())
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: build %q did not finish within runner.build_timeout %s (its process group was killed); last output:\n%s", runners.ErrUntestable, line, timeout, t)
	}
	if err != nil {
		return fmt.Errorf("%w: %w: build %q: %w; last output:\n%s", runners.ErrUntestable, runners.ErrBuild, line, err, t)
	}
	return nil
}

// work is one started candidate: its directory and its server.
type work struct {
	r    *Runner
	root string // removed by Stop
	dir  string // the project's copy, below root
	mark string // ProbeEnv of every process of this probe

	server  *exec.Cmd
	out     *tail
	exited  chan struct{} // closed when the server's leader has been waited for
	waitErr error         // its exit status, readable once exited is closed

	serverOnce sync.Once
	serverErr  error
	stopOnce   sync.Once
	stopErr    error
}

// startServer starts the start command. It is not bound to Start's
// context: the server outlives Start and ends with Stop.
func (w *work) startServer(line string, env []string, logs io.Writer) error {
	cmd, t := command(context.Background(), w.dir, line, env, logs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %q: %w", line, err)
	}
	w.server, w.out, w.exited = cmd, t, make(chan struct{})
	go func() {
		w.waitErr = cmd.Wait()
		close(w.exited)
	}()
	return nil
}

// ready polls GET ready.path until it answers 2xx or 3xx, the server exits,
// ready.timeout passes or ctx ends.
func (w *work) ready(ctx context.Context, line string, port int) error {
	cfg := w.r.cfg.Ready
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + cfg.Path
	client := &http.Client{
		// A fresh transport: no proxy from the environment, no idle
		// connections left open to a server that is about to be stopped.
		Transport: &http.Transport{DisableKeepAlives: true},
		// A redirect already proves the server answers.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	readyCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	last := "no answer"
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		status, err := get(readyCtx, client, url)
		switch {
		case err == nil && status >= 200 && status < 400:
			return nil
		case err == nil:
			last = "status " + strconv.Itoa(status)
		default:
			last = err.Error()
		}
		select {
		case <-w.exited:
			return w.exitedEarly(line, port)
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", url, ctx.Err())
		case <-readyCtx.Done():
			if ctx.Err() != nil {
				// The caller's deadline, not ready.timeout, ran out.
				return fmt.Errorf("wait for %s: %w", url, ctx.Err())
			}
			return fmt.Errorf("%w: server %q did not answer GET %s with 2xx or 3xx within %s (last: %s); last output:\n%s",
				runners.ErrUntestable, line, url, cfg.Timeout, last, w.out)
		case <-time.After(delay):
		}
	}
}

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// exitedEarly explains a server that ended before it was ready. When the
// port is held by someone else once the server's group is gone, the port
// was lost in the race between picking it and listening on it: that is
// not the candidate's fault, and the error does not say untestable, so the
// probe is retried.
func (w *work) exitedEarly(line string, port int) error {
	if err := w.stopServer(); err != nil {
		return err
	}
	if l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port))); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("server %q exited (%v) and port %d was taken by another process: %w; last output:\n%s", line, w.waitErr, port, err, w.out)
		}
	} else {
		l.Close()
	}
	return fmt.Errorf("%w: server %q exited before it was ready (%v); last output:\n%s", runners.ErrUntestable, line, w.waitErr, w.out)
}

// Stop is the Instance's Stop: it ends the server's process group and
// removes the work directory (unless Options.Keep). It runs once; later
// calls return the first result. A cancelled ctx does not cut the cleanup
// short: cleaning up is what a cancelled run needs most.
func (w *work) Stop(ctx context.Context) error {
	w.stopOnce.Do(func() {
		ctx := context.WithoutCancel(ctx)
		err := w.stopServer()
		// What left the process groups (a daemon that called setsid, an
		// oracle's background child) still carries the probe's mark.
		if _, kerr := endProcesses(func(mark string) bool { return mark == w.mark }); kerr != nil {
			err = errors.Join(err, fmt.Errorf("stop the processes of %s: %w", w.dir, kerr))
		}
		if w.r.opts.Keep {
			w.r.log.InfoContext(ctx, "kept work directory", "dir", w.dir)
		} else {
			err = errors.Join(err, removeAll(w.root))
		}
		w.stopErr = err
	})
	return w.stopErr
}

// stopServer sends SIGTERM to the server's process group, SIGKILL to
// whatever still runs after the grace period, and waits for all of it.
func (w *work) stopServer() error {
	if w.server == nil {
		return nil
	}
	w.serverOnce.Do(func() {
		pgid := w.server.Process.Pid
		_ = proc.SignalGroup(pgid, syscall.SIGTERM)
		deadline := time.Now().Add(w.r.cfg.Stop)
		leaderGone := false
		select {
		case <-w.exited:
			leaderGone = true
		case <-time.After(w.r.cfg.Stop):
		}
		// The group is only polled once its leader has been waited for,
		// so that polling never reaps the leader from under exec.
		if !leaderGone || !proc.WaitGroup(pgid, deadline) {
			w.r.log.Warn("server ignored SIGTERM; sending SIGKILL", "dir", w.dir, "grace", w.r.cfg.Stop)
			_ = proc.SignalGroup(pgid, syscall.SIGKILL)
		}
		select {
		case <-w.exited:
		case <-time.After(killWait):
			w.serverErr = fmt.Errorf("stop server in %s: process %d did not exit after SIGKILL", w.dir, pgid)
			return
		}
		if !proc.WaitGroup(pgid, time.Now().Add(killWait)) {
			w.serverErr = fmt.Errorf("stop server in %s: process group %d still runs after SIGKILL", w.dir, pgid)
		}
	})
	return w.serverErr
}

// owned returns this process's directory below Root, made by the first
// call (see Own).
func (r *Runner) owned(ctx context.Context) (string, error) {
	r.ownerOnce.Do(func() {
		if r.owner = r.opts.Owned; r.owner == nil {
			r.owner, r.ownerErr = Own(ctx, r.opts.TempDir, r.opts.Keep, r.log)
		}
	})
	if r.ownerErr != nil {
		return "", r.ownerErr
	}
	return r.owner.Dir, nil
}

// Close removes this process's directory below Root, unless
// Options.Owned gave it, once every instance has been stopped (see
// Owned.Close); with Options.Keep it stays, with the kept work
// directories in it.
func (r *Runner) Close() error {
	if r.owner == nil || r.owner == r.opts.Owned || r.opts.Keep {
		return nil
	}
	return r.owner.Close()
}

// freePort asks the kernel for a free port on 127.0.0.1. The port is free
// when this returns; another process may still take it before the server
// listens (see exitedEarly).
func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
