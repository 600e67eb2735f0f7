//go:build unix

package exec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lockbisect/lockbisect/internal/proc"
	"github.com/lockbisect/lockbisect/internal/redact"
	"github.com/lockbisect/lockbisect/oracles"
)

// Exec judges a candidate by a command's exit code, with git bisect's
// contract: 0 good, 125 untestable, anything else bad.
type Oracle struct {
	cfg settings
	log *slog.Logger

	// Tail is how many bytes at the end of the output are kept in
	// Verdict.Output; 0 = 4 KiB.
	Tail int
}

var _ oracles.Oracle = (*Oracle)(nil)

// New returns the exec oracle for c: c.Command runs with sh -c, and
// c.Path is joined to the target's base URL to make BISECT_URL.
func New(oc oracles.Config, own Config, log *slog.Logger) *Oracle {
	c := settings{oc, own}
	c.Config.Defaults(nil)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Oracle{cfg: c, log: log}
}

// execUntestable is the exit code by which a command says the candidate
// cannot be judged (git bisect run's "skip").
const execUntestable = 125

// Invalid returns what makes the oracle unusable, or nil: the registry
// reports it before any candidate is built.
func (e *Oracle) Invalid() error { return e.cfg.own.Validate() }

// Check runs the command in t.Dir (the current directory when empty), in a
// process group of its own that is killed as a whole when the command
// finishes, times out or ctx is cancelled, so that no server or helper it
// started outlives the check. It returns an error when the command cannot be
// started or ctx is cancelled.
func (e *Oracle) Check(ctx context.Context, t oracles.Target) (*oracles.Result, error) {
	if e.cfg.Command == "" {
		return nil, errors.New("exec oracle: oracle.command is empty")
	}
	endpoint := ""
	if t.BaseURL != "" {
		var err error
		if endpoint, err = oracles.JoinURL(t.BaseURL, e.cfg.Path); err != nil {
			return nil, fmt.Errorf("exec oracle: %w", err)
		}
	}
	port := ""
	if t.Port > 0 {
		port = strconv.Itoa(t.Port)
	}
	// Output goes to a file rather than a pipe: a background child that keeps
	// the pipe open would otherwise hold Wait until the timeout. It lives in
	// the candidate's TMPDIR when the runner gives one, so that it goes with
	// the work directory even when bisect is killed.
	out, err := os.CreateTemp(tmpDir(t.Env), "bisect-exec-*.log")
	if err != nil {
		return nil, fmt.Errorf("exec oracle: output file: %w", err)
	}
	defer os.Remove(out.Name())
	defer out.Close()

	runCtx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, "sh", "-c", e.cfg.Command)
	cmd.Dir = t.Dir
	cmd.Env = append(os.Environ(), t.Env...)
	cmd.Env = append(cmd.Env, "BISECT_URL="+endpoint, "BISECT_HOST="+t.Host, "BISECT_PORT="+port)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return proc.SignalGroup(cmd.Process.Pid, syscall.SIGKILL) }

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec oracle: start sh -c %q in %q: %w", e.cfg.Command, t.Dir, err)
	}
	waitErr := cmd.Wait()
	// The shell is gone; whatever it left running in its group goes too.
	if err := proc.SignalGroup(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		e.log.WarnContext(ctx, "exec oracle: kill the command's process group", "pid", cmd.Process.Pid, "err", err)
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("exec oracle: %w", ctx.Err())
	}
	timedOut := errors.Is(runCtx.Err(), context.DeadlineExceeded)
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !timedOut {
		return nil, fmt.Errorf("exec oracle: wait for sh -c %q: %w", e.cfg.Command, waitErr)
	}
	tail, err := e.tail(out)
	if err != nil {
		return nil, err
	}
	failing, err := failingLine(out)
	if err != nil {
		return nil, err
	}

	code := cmd.ProcessState.ExitCode()
	if code < 0 {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	}
	check := oracles.Check{ID: "exec.exit", Severity: oracles.Fatal, Status: oracles.Fail, Spec: "https://git-scm.com/docs/git-bisect#_bisect_run"}
	v := &oracles.Result{Verdict: oracles.Fail, Output: tail}
	switch {
	case timedOut:
		check.Detail = fmt.Sprintf("timed out after %s (exit %d); the process group was killed", e.cfg.Timeout, code)
		v.Untestable = e.cfg.TimeoutIsUntestable
		if v.Untestable {
			check.Detail += "; counted as untestable (oracle.timeout_is_untestable)"
		}
	case code == 0:
		check.Status, check.Detail, v.Verdict = oracles.Pass, "exit 0", oracles.Pass
	case code == execUntestable:
		check.Detail = "exit 125: the command says the candidate cannot be tested"
		v.Untestable = true
	case code > 128:
		check.Detail = fmt.Sprintf("exit %d: killed by signal %d", code, code-128)
	default:
		check.Detail = fmt.Sprintf("exit %d", code)
	}
	if check.Status == oracles.Fail {
		if failing == "" {
			failing = lastLine(tail)
		}
		if failing != "" {
			check.Detail += ": " + failing
		}
	}
	v.Checks = []oracles.Check{check}
	e.log.DebugContext(ctx, "exec oracle done", "exit", code, "verdict", v.Verdict, "untestable", v.Untestable, "elapsed", elapsed)
	return v, nil
}

// tmpDir is the last TMPDIR of env, or "" (the system's).
func tmpDir(env []string) string {
	dir := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TMPDIR="); ok {
			dir = v
		}
	}
	return dir
}

// tail reads the end of the command's output, redacted.
func (e *Oracle) tail(f *os.File) (string, error) {
	n := int64(e.Tail)
	if n <= 0 {
		n = 4 << 10
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return "", fmt.Errorf("exec oracle: output file: %w", err)
	}
	from := max(size-n, 0)
	b := make([]byte, size-from)
	if _, err := f.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("exec oracle: output file: %w", err)
	}
	s := string(b)
	if from > 0 {
		// Start at a line boundary so a cut line does not read as a message.
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
		s = "…\n" + s
	}
	return redact.String(s), nil
}

// failingLine is the first line of the command's output that a known test
// runner prints for a failure, redacted and shortened for a detail, or "":
// go test's message (`sum_test.go:12: total = 57, want 21`), else its
// `--- FAIL: TestSum` line; PHPUnit's first failure (`1) Tests\SumTest::testSum`)
// with the message under it. The last line of a go test or PHPUnit run is
// only "FAIL" or a count, which says nothing about what failed.
func failingLine(f *os.File) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("exec oracle: output file: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var goFail, phpunit string
	for sc.Scan() {
		line := sc.Text()
		switch t := strings.TrimSpace(line); {
		case goTestMessage.MatchString(line):
			return oracles.Snippet([]byte(redact.String(t))), nil
		case goFail == "" && strings.HasPrefix(t, "--- FAIL: "):
			goFail = t
		case phpunit != "" && t != "":
			return oracles.Snippet([]byte(redact.String(phpunit + ": " + t))), nil
		case phpunit == "" && goFail == "" && phpunitFailure.MatchString(t):
			phpunit = t
		}
	}
	// A line longer than the buffer ends the scan: what was seen stands.
	if goFail != "" {
		return oracles.Snippet([]byte(redact.String(goFail))), nil
	}
	if phpunit != "" {
		return oracles.Snippet([]byte(redact.String(phpunit))), nil
	}
	return "", nil
}

var (
	// goTestMessage is a t.Error/t.Fatal line: indented, a _test.go file
	// and its line number.
	goTestMessage = regexp.MustCompile(`^\s+[\w.-]+_test\.go:\d+: \S`)
	// phpunitFailure numbers a failing test under "There was 1 failure:".
	phpunitFailure = regexp.MustCompile(`^\d+\) [\w\\]+::\w+`)
)

// lastLine is the last non-empty line of s, shortened for a detail.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return oracles.Snippet([]byte(lines[len(lines)-1]))
}
