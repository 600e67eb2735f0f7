package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// buildMessage is one JSON object of the engine's build stream (the subset
// of jsonmessage.JSONMessage the runner reads; that package would pull in
// terminal libraries).
type buildMessage struct {
	ID          string `json:"id"`
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
// output to logs: the classic builder's text as it comes, BuildKit's trace
// rendered as the docker CLI's plain progress ("#3 [2/4] RUN make",
// "#3 CACHED", the step's output lines, "#3 DONE 0.4s"). It returns the
// build's own error (a failing RUN, a missing file) as buildError with the
// output's tail (under BuildKit: the failing step and its own last lines,
// which concurrent steps would otherwise interleave), and any other error
// (a broken stream) as is; the last image a classic step committed (""
// if none), which a failed build leaves behind untagged (BuildKit commits
// no step images); and BuildKit's steps with the time each took.
func decodeBuild(r io.Reader, logs io.Writer) (last string, times []stepTime, err error) {
	dec := json.NewDecoder(r)
	tail := &lineTail{max: tailLines}
	out := io.MultiWriter(logs, tail)
	steps := &traceSteps{byDigest: map[string]*traceStep{}}
	for {
		var m buildMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return last, steps.times(), nil
		}
		if err != nil {
			return last, steps.times(), fmt.Errorf("read build output: %w", err)
		}
		switch {
		case m.ID == traceID:
			steps.render(out, m.Aux)
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
			t := steps.failed()
			if t == "" {
				t = tail.String()
			}
			return last, steps.times(), &buildError{msg: msg, tail: t}
		}
	}
}

// traceSteps renders BuildKit's trace messages. Steps are numbered in the
// order they first appear, as the docker CLI does.
type traceSteps struct {
	byDigest map[string]*traceStep
	order    []*traceStep
	failing  *traceStep // the last step that reported an error
}

type traceStep struct {
	n                   int
	name                string
	shown, cached, done bool
	err                 string
	tail                *lineTail // the step's own output
	span                span
	parts               []*part // its statuses, in the order they came
}

// span is when a step or a part of it started (the earliest start
// reported) and completed (the latest completion).
type span struct{ started, completed time.Time }

func (s *span) add(started, completed time.Time) {
	if !started.IsZero() && (s.started.IsZero() || started.Before(s.started)) {
		s.started = started
	}
	if completed.After(s.completed) {
		s.completed = completed
	}
}

func (s span) seconds() float64 {
	if s.started.IsZero() || s.completed.Before(s.started) {
		return 0
	}
	return s.completed.Sub(s.started).Seconds()
}

// part is a status of a step: "exporting layers", "writing image …".
type part struct {
	id   string
	span span
}

// stepTime is the time a BuildKit step, or a part of one, took in the
// engine.
type stepTime struct {
	Name    string    // "[build 5/7] RUN go build …"; a part: "exporting to image: exporting layers"
	Started time.Time // by the engine's clock; zero if it never started
	Seconds float64   // 0 for a cached step
	Cached  bool
}

// times lists the steps and their parts in the order they first appeared.
func (s *traceSteps) times() []stepTime {
	var out []stepTime
	for _, st := range s.order {
		out = append(out, stepTime{Name: st.name, Started: st.span.started, Seconds: st.span.seconds(), Cached: st.cached})
		for _, p := range st.parts {
			out = append(out, stepTime{Name: st.name + ": " + p.id, Started: p.span.started, Seconds: p.span.seconds()})
		}
	}
	return out
}

// render writes what a trace message adds. A message that does not decode
// is noted and skipped: it is progress only, the build's outcome comes in
// the stream's error message.
func (s *traceSteps) render(out io.Writer, aux json.RawMessage) {
	var b []byte
	if err := json.Unmarshal(aux, &b); err != nil {
		fmt.Fprintf(out, "(buildkit trace skipped: %v)\n", err)
		return
	}
	st, err := decodeStatus(b)
	if err != nil {
		fmt.Fprintf(out, "(buildkit trace skipped: %v)\n", err)
		return
	}
	for _, v := range st.vertexes {
		step := s.step(v.digest)
		if v.name != "" {
			step.name = v.name
		}
		step.span.add(v.started, v.completed)
		if !step.shown && (!v.started.IsZero() || v.cached || !v.completed.IsZero()) {
			step.shown = true
			fmt.Fprintf(out, "#%d %s\n", step.n, step.name)
		}
		if v.cached && !step.cached {
			step.cached = true
			fmt.Fprintf(out, "#%d CACHED\n", step.n)
		}
		if v.err != "" && step.err == "" {
			step.err = v.err
			s.failing = step
			fmt.Fprintf(out, "#%d ERROR: %s\n", step.n, v.err)
		} else if !v.completed.IsZero() && !step.done && !step.cached && step.err == "" {
			step.done = true
			if v.started.IsZero() {
				fmt.Fprintf(out, "#%d DONE\n", step.n)
			} else {
				fmt.Fprintf(out, "#%d DONE %.1fs\n", step.n, v.completed.Sub(v.started).Seconds())
			}
		}
	}
	for _, vs := range st.statuses {
		step := s.step(vs.vertex)
		i := slices.IndexFunc(step.parts, func(p *part) bool { return p.id == vs.id })
		if i < 0 {
			i = len(step.parts)
			step.parts = append(step.parts, &part{id: vs.id})
		}
		step.parts[i].span.add(vs.started, vs.completed)
	}
	for _, l := range st.logs {
		step := s.step(l.vertex)
		step.tail.Write(l.msg)
		for _, line := range strings.SplitAfter(string(l.msg), "\n") {
			if line != "" {
				fmt.Fprintf(out, "#%d %s", step.n, line)
			}
		}
		if !strings.HasSuffix(string(l.msg), "\n") && len(l.msg) > 0 {
			io.WriteString(out, "\n")
		}
	}
}

func (s *traceSteps) step(digest string) *traceStep {
	step, ok := s.byDigest[digest]
	if !ok {
		step = &traceStep{n: len(s.byDigest) + 1, tail: &lineTail{max: tailLines - 1}}
		s.byDigest[digest] = step
		s.order = append(s.order, step)
	}
	return step
}

// failed is the tail of a failed BuildKit build: the failing step's name
// and its last lines; "" when no step reported an error (the classic
// builder, or an error before any step ran).
func (s *traceSteps) failed() string {
	if s.failing == nil {
		return ""
	}
	t := fmt.Sprintf("failing step: %s", s.failing.name)
	if out := s.failing.tail.String(); out != "" {
		t += "\n" + out
	}
	return t
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
	t.lines = append(t.lines, parts[:len(parts)-1]...)
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
