package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lockbisect/lockbisect/internal/hunt"
)

// progress reports a run's probes on stderr: a live bar on a terminal (round,
// probes done and expected, the current candidate and phase, elapsed time and
// an estimate), plain one-line events otherwise, nothing with -q.
func (g *globals) progress() func(hunt.Event) {
	if g.quiet {
		return nil
	}
	p := &progress{w: g.stderr, start: time.Now()}
	if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.live = true
	}
	return p.event
}

type progress struct {
	mu    sync.Mutex
	w     io.Writer
	live  bool
	bar   *progressbar.ProgressBar
	done  int
	start time.Time
}

func (p *progress) event(e hunt.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.bar == nil {
		p.bar = progressbar.NewOptions(e.Expected,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	if e.Phase != "done" {
		if p.live {
			p.bar.Describe(fmt.Sprintf("round %d · %s %s", e.Round, e.Phase, applied(e)))
		}
		return
	}
	p.done++
	line := fmt.Sprintf("probe %d, round %d: %s → %s", p.done, e.Round, applied(e), e.Outcome)
	if e.Check != "" {
		line += " (" + e.Check + ")"
	}
	line += fmt.Sprintf(" %.1fs", e.Seconds)
	if e.Replayed {
		line += " [from journal]"
	}
	if !p.live {
		fmt.Fprintln(p.w, line)
		return
	}
	_ = p.bar.Clear()
	fmt.Fprintln(p.w, line)
	if p.done > p.bar.GetMax() {
		p.bar.ChangeMax(p.done + 1)
	}
	_ = p.bar.Set(p.done)
}

// applied says briefly which changes a candidate takes at their new version.
func applied(e hunt.Event) string {
	switch n := len(e.Applied); {
	case n == 0:
		return "old lock"
	case n == e.Total:
		return "new lock"
	case n <= 2:
		return strings.Join(e.Applied, " + ")
	default:
		return fmt.Sprintf("%d/%d changes", n, e.Total)
	}
}
