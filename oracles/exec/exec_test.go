package exec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/proc"
	"github.com/lockbisect/lockbisect/oracles"
)

func TestExecCheck(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "marker"), []byte("here"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := oracles.Target{BaseURL: "http://127.0.0.1:4321", Host: "127.0.0.1", Port: 4321, Dir: dir, Env: []string{"FROM_RUNNER=yes"}}
	tests := []struct {
		name       string
		command    string
		path       string
		timeout    time.Duration
		untestOnTO bool
		verdict    string
		untestable bool
		detail     string // substring of exec.exit's detail
		output     string // substring of Verdict.Output
	}{
		{name: "exit 0 passes", command: "exit 0", verdict: "pass", detail: "exit 0"},
		{name: "exit 1 fails", command: "echo first; echo 'it broke' >&2; exit 1", verdict: "fail", detail: "exit 1: it broke", output: "first\nit broke"},
		{name: "exit 127 fails", command: "no-such-command-xyz", verdict: "fail", detail: "exit 127"},
		{name: "exit 125 is untestable", command: "exit 125", verdict: "fail", untestable: true, detail: "exit 125"},
		{name: "signal fails", command: "kill -TERM $$", verdict: "fail", detail: "exit 143: killed by signal 15"},
		{name: "above 127 fails", command: "exit 200", verdict: "fail", detail: "exit 200"},
		{name: "environment and directory", path: "/mcp",
			command: `test "$BISECT_URL" = http://127.0.0.1:4321/mcp && test "$BISECT_HOST" = 127.0.0.1 && test "$BISECT_PORT" = 4321 && test "$FROM_RUNNER" = yes && test -f marker`,
			verdict: "pass"},
		{name: "timeout fails", command: "sleep 30", timeout: 300 * time.Millisecond, verdict: "fail", detail: "timed out after 300ms"},
		{name: "timeout untestable when configured", command: "sleep 30", timeout: 300 * time.Millisecond, untestOnTO: true, verdict: "fail", untestable: true, detail: "counted as untestable"},
		{name: "go test failure line", verdict: "fail", detail: "exit 1: sum_test.go:12: total = 57, want 21",
			command: `printf -- '--- FAIL: TestSum (0.00s)\n    sum_test.go:12: total = 57, want 21\nFAIL\nFAIL\texample.com/app\t0.01s\nFAIL\n'; exit 1`},
		{name: "go test FAIL line without message", verdict: "fail", detail: "exit 1: --- FAIL: TestSum (0.00s)",
			command: `printf -- '--- FAIL: TestSum (0.00s)\nFAIL\n'; exit 1`},
		{name: "phpunit failure summary", verdict: "fail", detail: `exit 1: 1) Tests\SumTest::testSum: Failed asserting that 57 matches expected 21.`,
			command: `printf 'There was 1 failure:\n\n1) Tests\\SumTest::testSum\nFailed asserting that 57 matches expected 21.\n\nFAILURES!\nTests: 3, Assertions: 3, Failures: 1.\n'; exit 1`},
		{name: "failing line is redacted", verdict: "fail", detail: "auth_test.go:9: Authorization: [REDACTED]",
			command: `printf '    auth_test.go:9: Authorization: Bearer abc.def-ghi\nFAIL\n'; exit 1`},
		{name: "output is redacted", command: "echo 'Authorization: Bearer abc.def-ghi'; exit 1", verdict: "fail", output: "Authorization: [REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(oracles.Config{Kind: "exec", Path: tt.path, Timeout: tt.timeout, TimeoutIsUntestable: tt.untestOnTO}, Config{Command: tt.command}, nil)
			v, err := e.Check(context.Background(), target)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if string(v.Verdict) != tt.verdict || v.Untestable != tt.untestable {
				t.Fatalf("verdict %s untestable %v, want %s %v; checks %+v", v.Verdict, v.Untestable, tt.verdict, tt.untestable, v.Checks)
			}
			if len(v.Checks) != 1 || v.Checks[0].ID != "exec.exit" || v.Checks[0].Severity != oracles.Fatal {
				t.Fatalf("checks %+v, want the one fatal exec.exit", v.Checks)
			}
			if !strings.Contains(v.Checks[0].Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", v.Checks[0].Detail, tt.detail)
			}
			if !strings.Contains(v.Output, tt.output) {
				t.Errorf("output %q does not contain %q", v.Output, tt.output)
			}
			if strings.Contains(v.Output, "abc.def-ghi") {
				t.Errorf("output shows the credential: %q", v.Output)
			}
		})
	}
}

// TestExecKillsGroup starts a background child that would outlive the shell
// and checks that it is gone once Check returns: after a timeout, after a
// normal exit, and after the caller cancels.
func TestExecKillsGroup(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		cancel  time.Duration // cancel the caller's context after this; 0 = never
		wantErr error
		verdict string
	}{
		{name: "timeout", script: "sleep 60 & echo $! > child; wait", timeout: 500 * time.Millisecond, verdict: "fail"},
		{name: "left behind after exit 0", script: "sleep 60 & echo $! > child; exit 0", timeout: time.Minute, verdict: "pass"},
		{name: "cancelled", script: "sleep 60 & echo $! > child; wait", timeout: time.Minute, cancel: 500 * time.Millisecond, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			e := New(oracles.Config{Kind: "exec", Timeout: tt.timeout}, Config{Command: tt.script}, nil)
			v, err := e.Check(ctx, oracles.Target{Dir: dir})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Check: %v, want %v", err, tt.wantErr)
				}
			} else if err != nil || string(v.Verdict) != tt.verdict {
				t.Fatalf("Check: %+v, %v; want verdict %s", v, err, tt.verdict)
			}
			b, err := os.ReadFile(filepath.Join(dir, "child"))
			if err != nil {
				t.Fatal(err)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			if !gone(pid) {
				t.Fatalf("background child %d is still running after Check returned", pid)
			}
		})
	}
}

// gone reports whether pid has exited. SIGKILL is delivered before Check
// returns, but the kernel may need a moment to tear the process down, and an
// exited child of a non-reaping init stays a zombie: both count as gone.
func gone(pid int) bool {
	for range 100 {
		st, err := proc.Read(pid)
		if err != nil || st.State == "Z" || st.State == "X" {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func TestExecTail(t *testing.T) {
	e := New(oracles.Config{Kind: "exec"}, Config{Command: `i=0; while [ $i -lt 500 ]; do echo "line $i of noise"; i=$((i+1)); done; echo "the reason"; exit 3`}, nil)
	v, err := e.Check(context.Background(), oracles.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Output) > 4<<10+8 || !strings.HasPrefix(v.Output, "…\nline ") || !strings.HasSuffix(v.Output, "the reason\n") {
		t.Errorf("output (%d bytes) is not the line-aligned 4 KiB tail: %q…%q", len(v.Output), v.Output[:20], v.Output[len(v.Output)-20:])
	}
	if d := v.Checks[0].Detail; d != "exit 3: the reason" {
		t.Errorf("detail %q, want the exit code and the last line", d)
	}
}
