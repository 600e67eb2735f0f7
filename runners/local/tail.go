package local

import (
	"strings"
	"sync"
)

// tailLines is how many lines of output an untestable error carries.
const tailLines = 20

// tail keeps the last bytes written to it, enough for tailLines lines of
// ordinary length, so that an error can show how a build or server ended
// without holding its whole output.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 16 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailBytes; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns the last tailLines lines, or "(no output)".
func (t *tail) String() string {
	t.mu.Lock()
	s := strings.TrimRight(string(t.buf), "\n")
	t.mu.Unlock()
	if strings.TrimSpace(s) == "" {
		return "(no output)"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, "\n")
}
