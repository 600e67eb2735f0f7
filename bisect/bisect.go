package bisect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Outcome is the answer of one oracle run, or of a probe made of several.
type Outcome string

// The outcomes. Untestable never counts as bad; Error is retried and then
// counts as Untestable.
const (
	Good       Outcome = "good"
	Bad        Outcome = "bad"
	Untestable Outcome = "untestable"
	Error      Outcome = "error"
)

// Trial is one oracle run's answer for a candidate.
type Trial struct {
	Outcome Outcome
	// FailedCheck is the first failing fatal check id, for the report.
	FailedCheck string
	Detail      string
	// Data is opaque per-probe data the caller wants journaled (timings,
	// candidate hash); the engine stores it in the Record.
	Data json.RawMessage
	// Err, when set, means the tool could not even try (invalid
	// configuration, an unreachable engine, its own directories failing):
	// no outcome is recorded, the run stops and Run returns Err. Retrying
	// would fail the same way, and a verdict built on it would be a lie.
	Err error
}

// Config is one search. The zero value of every number means its default.
type Config struct {
	// Units are the changes, in the order of the diff. Ids must be unique.
	Units []string
	// Requires holds the closure rules: applying k needs each unit in
	// Requires[k] applied. Every candidate handed to Trial is closed.
	Requires map[string][]string
	// Trial runs the oracle once on the candidate with the given units
	// applied (sorted, closed). The engine calls it Repeat times per probe
	// and more when the answers disagree; it must honour ctx, which the
	// engine cancels when an answer is no longer needed.
	Trial func(ctx context.Context, applied []string) Trial
	// Key names a candidate for the memo and the journal (the caller's
	// content hash of the candidate files plus settings); nil joins the ids.
	Key func(applied []string) string
	// Repeat is the number of oracle runs per probe; 0 means 1. Above 1 the
	// engine treats the oracle as possibly flaky: disagreeing runs are
	// extended until one outcome leads by Repeat, and the facts a culprit
	// rests on are re-checked before it is reported.
	Repeat int
	// Workers is the number of probes run at once; 0 means 1.
	Workers int
	// Retries is the number of re-runs of a Trial that came back Error before
	// it counts as Untestable; 0 means 2, negative means none.
	Retries int
	// Journal receives each finished probe as one JSON line (synced when it
	// is an *os.File). Nil: no journal.
	Journal io.Writer
	// Replay holds the records of an interrupted run (ReadJournal): their
	// keys are never probed again.
	Replay []Record
	// OnProbe is called for each finished probe, from the engine's
	// goroutine, one call at a time.
	OnProbe func(Record)
	// OnStart is called when a probe begins, from the engine's goroutine.
	OnStart func(round int, applied []string)
}

// Record is one finished probe: the JSON line in the journal.
type Record struct {
	Key     string   `json:"key"`
	Applied []string `json:"applied"`
	// Outcome is the outcome the trials decided on; when Mixed it is only
	// the most frequent one.
	Outcome Outcome   `json:"outcome"`
	Trials  []Outcome `json:"trials"`
	// Mixed is set when the trials never reached the lead the engine
	// requires: the oracle disagreed with itself on this candidate.
	Mixed       bool   `json:"mixed,omitempty"`
	FailedCheck string `json:"failed_check,omitempty"`
	Detail      string `json:"detail,omitempty"`
	// Round is the sequential batch the probe ran in (1-based).
	Round int `json:"round"`
	// Purpose says why the engine asked: baseline-old, baseline-new, split,
	// confirm, verify, remainder, recheck.
	Purpose  string  `json:"purpose"`
	Seconds  float64 `json:"seconds"`
	Replayed bool    `json:"replayed,omitempty"`
	// Speculative: a probe run beside others (Workers > 1) whose answer
	// no longer mattered when it came (a lower split point came back bad
	// or a higher one good). Its answer is kept for the memo, but which
	// such probes finish before they are cancelled varies from run to run.
	Speculative bool            `json:"speculative,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
}

// Verdict is the answer of a whole run.
type Verdict string

// The verdicts (and the exit codes the CLI maps them to).
const (
	Culprit       Verdict = "culprit"
	NotReproduced Verdict = "not-reproduced"
	OldFails      Verdict = "old-fails"
	Flaky         Verdict = "flaky"
	NoChanges     Verdict = "no-changes"
	// OldUntestable and NewUntestable: a baseline could not be judged (its
	// candidate does not build, start, or every trial erred). Nothing can
	// be concluded from the diff, and the run says so instead of guessing
	// old-fails or not-reproduced.
	OldUntestable Verdict = "old-untestable"
	NewUntestable Verdict = "new-untestable"
)

// Set is one culprit: a minimal set of units whose application makes the
// outcome bad.
type Set struct {
	// Units in the order of the diff.
	Units []string
	// Untestable are the units of the set that could not be judged: the
	// culprit could only be narrowed to a group containing them ("culprit
	// among {a, b}; b could not be built").
	Untestable []string
	// Requires are the units outside the set that its closure applies with
	// it (a culprit unit cannot be tried without them).
	Requires []string
	// Confirm is the probe that shows the set alone is bad.
	Confirm Record
}

// Result is what a run found out.
type Result struct {
	Verdict Verdict
	// Detail explains a verdict other than culprit in one sentence.
	Detail   string
	Culprits []Set
	// Innocent maps a unit to why it is proven innocent.
	Innocent map[string]string
	// Untestable are the units that could not be judged.
	Untestable []string
	// Probes are the probes of this run in the order they finished,
	// including replayed ones when the run used them.
	Probes []Record
	// Rounds is the number of sequential batches of probes.
	Rounds int
	// Evidence holds the contradicting probes behind a flaky verdict.
	Evidence []Record
}

// Run searches the culprits. Its error is reserved for cancellation,
// journal I/O, an invalid Config and a Trial's Err; verdicts are in the Result, which is
// also returned (partial) with a cancellation error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	err = e.run(ctx)
	e.finish()
	return e.res, err
}

func newEngine(cfg Config) (*engine, error) {
	if cfg.Trial == nil {
		return nil, fmt.Errorf("bisect config: Trial is nil")
	}
	g, err := newGraph(cfg.Units, cfg.Requires)
	if err != nil {
		return nil, err
	}
	e := &engine{
		cfg:     cfg,
		g:       g,
		repeat:  max(cfg.Repeat, 1),
		workers: max(cfg.Workers, 1),
		retries: cfg.Retries,
		memo:    map[string]*entry{},
		res:     &Result{Innocent: map[string]string{}},
	}
	if e.retries == 0 {
		e.retries = 2
	}
	e.retries = max(e.retries, 0)
	if e.cfg.Key == nil {
		e.cfg.Key = func(applied []string) string { return strings.Join(applied, ",") }
	}
	for _, r := range cfg.Replay {
		r.Replayed = true
		e.memo[r.Key] = &entry{rec: r, replayed: true}
		// A resumed run continues the journal's round numbering: its
		// first new round follows the last one the journal holds.
		e.round = max(e.round, r.Round)
	}
	return e, nil
}

// finish fills the parts of the result derived from the probes.
func (e *engine) finish() {
	e.res.Rounds = e.round
	culprit := map[string]bool{}
	var untestable []string
	for _, s := range e.res.Culprits {
		for _, u := range s.Units {
			culprit[u] = true
		}
		untestable = append(untestable, s.Untestable...)
	}
	for i, p := range e.res.Probes {
		if p.Outcome != Good || p.Mixed {
			continue
		}
		for _, u := range p.Applied {
			if _, ok := e.res.Innocent[u]; !ok && !culprit[u] {
				e.res.Innocent[u] = fmt.Sprintf("applied in probe %d, which passed", i+1)
			}
		}
	}
	untestable = append(untestable, e.unjudged...)
	for _, u := range e.g.units {
		if slices.Contains(untestable, u) && !slices.Contains(e.res.Untestable, u) {
			if _, ok := e.res.Innocent[u]; !ok {
				e.res.Untestable = append(e.res.Untestable, u)
			}
		}
	}
}
