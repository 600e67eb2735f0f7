// Package testenv is what tests share: the one rule for the tools they
// need (go, php, composer, docker: skip on a developer machine that lacks
// one, fail under CI=true, where a skip would hide that the real tool never
// ran), and a buffer safe to read while it is written.
package testenv

import (
	"bytes"
	"os"
	"os/exec"
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
