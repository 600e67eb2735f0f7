package docker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// timings collects the runner's debug "timing" events (see Runner.timed):
// seconds per phase and per BuildKit step, added up over the candidates
// it is told to count.
type timings struct {
	mu       sync.Mutex
	counting bool
	phase    map[string]float64 // "context", "build", "ready", …
	step     map[string]float64 // a BuildKit step or part, by stepKey
}

func newTimings() *timings {
	return &timings{phase: map[string]float64{}, step: map[string]float64{}}
}

// count turns the adding up on (the candidates after the first) or off.
func (t *timings) count(on bool) {
	t.mu.Lock()
	t.counting = on
	t.mu.Unlock()
}

func (t *timings) Enabled(context.Context, slog.Level) bool { return true }
func (t *timings) WithAttrs([]slog.Attr) slog.Handler       { return t }
func (t *timings) WithGroup(string) slog.Handler            { return t }

func (t *timings) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "timing" {
		return nil
	}
	var phase, step string
	var seconds float64
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "phase":
			phase = a.Value.String()
		case "step":
			step = a.Value.String()
		case "seconds":
			seconds = a.Value.Float64()
		}
		return true
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.counting {
		return nil
	}
	if phase == "step" {
		t.step[stepKey(step)] += seconds
	} else {
		t.phase[phase] += seconds
	}
	return nil
}

// stepKey names a step or part the same for every candidate: a part's id
// loses what follows "writing image" or "naming to" (the image's id and
// tag).
func stepKey(name string) string {
	for _, p := range []string{"writing image", "naming to"} {
		if i := strings.Index(name, ": "+p); i >= 0 {
			return name[:i+2+len(p)]
		}
	}
	return name
}

// sum adds up the steps whose key satisfies f; parts (keys with ": ")
// only when parts.
func (t *timings) sum(parts bool, f func(string) bool) float64 {
	var s float64
	for k, v := range t.step {
		if strings.Contains(k, ": ") == parts && f(k) {
			s += v
		}
	}
	return s
}

// report adds the breakdown to b's metrics, per counted candidate: the
// runner's own work before the build (context-s: reading and hashing the
// project, looking the tag up), the engine's steps (internal-s: loading
// the Dockerfile and the context; copy-s: FROM and COPY; run-s: RUN;
// export-s: "exporting to image"), and the container's life (container-s:
// create, start, port, ready and remove; ready-s of it: until ready.path
// answered). It logs every phase and step with its mean, the table behind
// the metrics.
func (t *timings) report(b *testing.B, n float64) {
	b.Helper()
	t.mu.Lock()
	defer t.mu.Unlock()
	if n == 0 {
		return
	}
	internal := t.sum(false, func(k string) bool {
		return strings.HasPrefix(k, "[internal]") || strings.HasPrefix(k, "copy /context")
	})
	export := t.sum(false, func(k string) bool { return strings.HasPrefix(k, "exporting to image") })
	run := t.sum(false, func(k string) bool { return strings.Contains(k, "] RUN ") })
	other := t.sum(false, func(string) bool { return true }) - internal - export - run
	b.ReportMetric((t.phase["context"]+t.phase["inspect"])/n, "context-s/candidate")
	b.ReportMetric(internal/n, "internal-s/candidate")
	b.ReportMetric(other/n, "copy-s/candidate")
	b.ReportMetric(run/n, "run-s/candidate")
	b.ReportMetric(export/n, "export-s/candidate")
	b.ReportMetric((t.phase["create"]+t.phase["start"]+t.phase["port"]+t.phase["ready"]+t.phase["remove"])/n, "container-s/candidate")
	b.ReportMetric(t.phase["ready"]/n, "ready-s/candidate")
	var lines []string
	for k, v := range t.phase {
		lines = append(lines, fmt.Sprintf("runner  %-8s %7.3f s", k, v/n))
	}
	sort.Strings(lines)
	var steps []string
	for k, v := range t.step {
		steps = append(steps, fmt.Sprintf("engine  %7.3f s  %s", v/n, k))
	}
	sort.Strings(steps)
	b.Logf("mean per candidate after the first:\n%s\n%s", strings.Join(lines, "\n"), strings.Join(steps, "\n"))
}

// loadAverage is the machine's load averages over 1, 5 and 15 minutes
// (/proc/loadavg), for the benchmarks to log beside their figures: they
// are only comparable on an equally quiet machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
