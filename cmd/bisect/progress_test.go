package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/hunt"
)

// TestProgressEscapes: a package name or check id with control characters
// reaches stderr as escapes, on one line.
func TestProgressEscapes(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b}
	p.event(hunt.Event{Phase: "done", Round: 1, Applied: []string{"acme/\x1b[2Jx\rprobe 9"}, Total: 5, Outcome: "bad", Check: "id\x07\nverdict: good"})
	out := b.String()
	if strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "\x1b\r\x07") {
		t.Errorf("progress line %q holds a control character or a second line", out)
	}
	if !strings.Contains(out, `acme/\x1b[2Jx\rprobe 9`) {
		t.Errorf("progress line %q does not show the name's escapes", out)
	}
}
