package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lockbisect/lockbisect/internal/hunt"
	"github.com/lockbisect/lockbisect/internal/quote"
)

// progress reports a run's probes on stderr: a live bar on a terminal (round,
// probes done and expected, the current candidate and phase, elapsed time and
// an estimate), plain one-line events otherwise, nothing with -q.
func (g *globals) progress() func(hunt.Event) {
	if g.quiet {
		return nil
	}
	p := &progress{w: g.stderr}
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
	round int // of the latest event
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
			progressbar.OptionClearOnFinish(),
		)
	}
	// The oracle phase does not know its round: it is the build's before it.
	if e.Phase == hunt.PhaseOracle && e.Round == 0 {
		e.Round = p.round
	}
	p.round = e.Round
	stage := fmt.Sprintf("round %d", e.Round)
	if e.Round == 0 {
		stage = "drill-down"
	}
	if e.Phase != hunt.PhaseDone {
		if p.live {
			p.bar.Describe(quote.Terminal(fmt.Sprintf("%s · %s %s", stage, e.Phase, applied(e))))
			_ = p.bar.RenderBlank()
		}
		return
	}
	if e.Refused {
		// Nothing was built or judged: not a probe, so not numbered.
		p.print(quote.Terminal(fmt.Sprintf("%s: %s → %s, refused before building", stage, applied(e), e.Outcome)))
		return
	}
	p.done++
	line := fmt.Sprintf("probe %d, %s: %s → %s", p.done, stage, applied(e), e.Outcome)
	if e.Check != "" {
		line += " (" + e.Check + ")"
	}
	line += fmt.Sprintf(" %.1fs", e.Seconds)
	if e.Replayed {
		line += " [from journal]"
	}
	// Package names and check ids come from the lock and the server.
	p.print(quote.Terminal(line))
}

// print writes a line above the bar (if any), which then shows p.done.
func (p *progress) print(line string) {
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
