package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

// buildMessage is one JSON object of the engine's build stream (the subset
// of jsonmessage.JSONMessage the runner reads; that package would pull in
// terminal libraries).
type buildMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// tailLines is how much build or server output an untestable error quotes.
const tailLines = 20

// stepImage matches the classic builder's report of the image a step
// committed.
var stepImage = regexp.MustCompile(`^ ---> ([0-9a-f]{12,64})$`)

// decodeBuild reads the build stream to its end, copying the builder's
// output to logs. It returns the build's own error (a failing RUN, a
// missing file) as buildError with the output's tail, and any other error
// (a broken stream) as is; and the last image a step committed ("" if
// none), which a failed build leaves behind untagged.
func decodeBuild(r io.Reader, logs io.Writer) (last string, err error) {
	dec := json.NewDecoder(r)
	tail := &lineTail{max: tailLines}
	out := io.MultiWriter(logs, tail)
	for {
		var m buildMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return last, nil
		}
		if err != nil {
			return last, fmt.Errorf("read build output: %w", err)
		}
		switch {
		case m.Stream != "":
			io.WriteString(out, m.Stream)
			for _, line := range strings.Split(m.Stream, "\n") {
				if id := stepImage.FindStringSubmatch(line); id != nil {
					last = id[1]
				}
			}
		case m.Status != "":
			io.WriteString(out, m.Status+"\n")
		}
		if m.Error != "" || m.ErrorDetail != nil {
			msg := m.Error
			if msg == "" && m.ErrorDetail != nil {
				msg = m.ErrorDetail.Message
			}
			if msg == "" {
				msg = "build failed (the engine gave no message)"
			}
			io.WriteString(logs, msg+"\n")
			return last, &buildError{msg: msg, tail: tail.String()}
		}
	}
}

// buildError is a build the Dockerfile made fail.
type buildError struct {
	msg, tail string
}

func (e *buildError) Error() string {
	if e.tail == "" {
		return e.msg
	}
	return e.msg + "\n" + e.tail
}

// lineTail keeps the last max lines written to it. It is safe for
// concurrent use: the log follower writes while a failing readiness check
// reads.
type lineTail struct {
	max     int
	mu      sync.Mutex
	lines   []string
	partial string
}

func (t *lineTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.partial + string(p)
	parts := strings.Split(s, "\n")
	t.partial = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		t.lines = append(t.lines, l)
	}
	if over := len(t.lines) - t.max; over > 0 {
		t.lines = append(t.lines[:0], t.lines[over:]...)
	}
	return len(p), nil
}

// String returns the kept lines, the unfinished last one included.
func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if t.partial != "" {
		lines = append(append([]string(nil), lines...), t.partial)
	}
	if over := len(lines) - t.max; over > 0 {
		lines = lines[over:]
	}
	return strings.Join(lines, "\n")
}
