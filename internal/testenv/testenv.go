// Package testenv is what tests share: the one rule for the tools they
// need (go, php, composer, docker: skip on a developer machine that lacks
// one, fail under CI=true, where a skip would hide that the real tool never
// ran), and a buffer safe to read while it is written.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Missing skips the test, or fails it when CI is "true", because what is
// named cannot be had.
func Missing(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required with CI=true: %v", what, err)
	}
	t.Skipf("%s not available: %v", what, err)
}

// NeedTools calls Missing for the first tool not on PATH.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			Missing(t, tool, err)
		}
	}
}

// Buffer is an io.Writer a test can read while something else still
// writes to it (a server's log, a build's output).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// CancelOn is a Buffer that calls Cancel once what is written to it
// contains Marker: a test cancels a run at a point its output names.
type CancelOn struct {
	Buffer
	Marker string
	Cancel func()
}

func (c *CancelOn) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.String(), c.Marker) {
		c.Cancel()
	}
	return n, err
}

// static memoizes StaticBinary per source.
var static sync.Map // source → *staticBuild

type staticBuild struct {
	once sync.Once
	bin  []byte
	err  error
}

// StaticBinary builds a Go program of one main.go (source) once per test
// binary, statically (CGO_ENABLED=0), so that a FROM scratch image can
// run it, and returns the executable's bytes.
func StaticBinary(t testing.TB, source string) []byte {
	t.Helper()
	v, _ := static.LoadOrStore(source, &staticBuild{})
	b := v.(*staticBuild)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "lockbisect-static-*")
		if err != nil {
			b.err = err
			return
		}
		defer os.RemoveAll(dir)
		for name, content := range map[string]string{"main.go": source, "go.mod": "module server\n\ngo 1.22\n"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				b.err = err
				return
			}
		}
		cmd := exec.Command("go", "build", "-trimpath", "-o", "server", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build of the test program: %w\n%s", err, out)
			return
		}
		b.bin, b.err = os.ReadFile(filepath.Join(dir, "server"))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// Git returns a runner of the git command in dir (with a committer
// identity of its own), which fails the test when git fails and returns
// its trimmed output. It needs git (NeedTools).
func Git(t testing.TB, dir string) func(args ...string) string {
	t.Helper()
	NeedTools(t, "git")
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
}
