package bisect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// engine is the state of one Run.
type engine struct {
	cfg     Config
	g       *graph
	repeat  int
	workers int
	retries int
	memo    map[string]*entry
	res     *Result
	round   int
	// unjudged are units left over when the remainder was untestable.
	unjudged []string
	// head are the split points probed beside the baselines, for the first
	// narrowing wave to take up.
	head []int
}

// entry is the memo's knowledge of one candidate.
type entry struct {
	rec       Record
	replayed  bool // from the journal of an earlier run, not yet in Result.Probes
	rechecked bool // its outcome was re-checked with fresh trials at the stricter lead
}

// job is one candidate the search asks about.
type job struct {
	set     []bool // closed
	purpose string
	recheck bool // run fresh trials for a known candidate instead of answering from the memo
}

// done is a worker's answer.
type done struct {
	i   int
	rec Record
	err error // the job's context ended (its answer is void), or a *trialError
}

// trialError carries a Trial's Err out of a probe, apart from the
// cancellation of an unneeded probe, which is not an error of the run.
type trialError struct{ err error }

func (e *trialError) Error() string { return e.err.Error() }

// lead and limit of a probe's trials: a probe is decided when one outcome
// leads the runner-up by lead trials; it gives up (Mixed) after limit.
func (e *engine) lead(recheck bool) (lead, limit int) {
	if recheck {
		return 2 * e.repeat, 10 * e.repeat
	}
	return e.repeat, 5 * e.repeat
}

// batch answers the jobs in their order, probing at most Workers
// candidates at once; each wave of probes is one round. After each answer,
// unneeded (if not nil) tells which jobs no longer matter: those not started
// are skipped, those running are cancelled, and both come back nil.
func (e *engine) batch(ctx context.Context, jobs []job, unneeded func(got []*entry) []bool) ([]*entry, error) {
	got := make([]*entry, len(jobs))
	keys := make([]string, len(jobs))
	applied := make([][]string, len(jobs))
	for i, j := range jobs {
		applied[i] = e.g.ids(j.set)
		keys[i] = e.cfg.Key(applied[i])
		if en := e.memo[keys[i]]; en != nil && !j.recheck {
			e.use(en)
			got[i] = en
		}
	}
	skip := func() []bool {
		if unneeded == nil {
			return make([]bool, len(jobs))
		}
		return unneeded(got)
	}
	started := make([]bool, len(jobs))
	for {
		drop := skip()
		var wave []int
		seen := map[string]bool{}
		for i := range jobs {
			if len(wave) == e.workers {
				break
			}
			if got[i] == nil && !started[i] && !drop[i] && !seen[keys[i]] && (jobs[i].recheck || e.memo[keys[i]] == nil) {
				seen[keys[i]] = true
				wave = append(wave, i)
			}
		}
		if len(wave) == 0 {
			return e.fill(got, keys), ctx.Err()
		}
		if err := e.wave(ctx, jobs, keys, applied, wave, got, started, skip); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return e.fill(got, keys), err
		}
	}
}

// wave runs one round of probes at once and stores their answers.
func (e *engine) wave(ctx context.Context, jobs []job, keys []string, applied [][]string, wave []int, got []*entry, started []bool, skip func() []bool) error {
	e.round++
	results := make(chan done, len(wave))
	cancels := make(map[int]context.CancelFunc, len(wave))
	for _, i := range wave {
		started[i] = true
		jctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		var prior []Outcome
		if en := e.memo[keys[i]]; en != nil && jobs[i].recheck {
			prior = en.rec.Trials
		}
		if e.cfg.OnStart != nil {
			e.cfg.OnStart(e.round, applied[i])
		}
		go func(i, round int) {
			rec, err := e.probe(jctx, applied[i], prior, jobs[i].recheck)
			rec.Key, rec.Round, rec.Purpose = keys[i], round, jobs[i].purpose
			results <- done{i: i, rec: rec, err: err}
		}(i, e.round)
	}
	var fail error
	for range wave {
		d := <-results
		cancels[d.i]()
		var te *trialError
		if errors.As(d.err, &te) && fail == nil {
			fail = te.err
			for _, c := range cancels {
				c()
			}
		}
		if d.err != nil || fail != nil {
			continue
		}
		d.rec.Speculative = skip()[d.i]
		en := &entry{rec: d.rec, rechecked: jobs[d.i].recheck}
		e.memo[d.rec.Key] = en
		e.res.Probes = append(e.res.Probes, d.rec)
		if err := e.journal(d.rec); err != nil {
			fail = err
			for _, c := range cancels {
				c()
			}
			continue
		}
		if e.cfg.OnProbe != nil {
			e.cfg.OnProbe(d.rec)
		}
		got[d.i] = en
		for k, no := range skip() {
			if no && got[k] == nil && cancels[k] != nil {
				cancels[k]()
			}
		}
	}
	return fail
}

// fill answers jobs that asked twice for one candidate in the same batch.
func (e *engine) fill(got []*entry, keys []string) []*entry {
	for i := range got {
		if got[i] == nil {
			if en := e.memo[keys[i]]; en != nil && !en.replayed {
				got[i] = en
			}
		}
	}
	return got
}

// use moves a replayed record into this run's probes the first time the
// search needs it.
func (e *engine) use(en *entry) {
	if en.replayed {
		en.replayed = false
		e.res.Probes = append(e.res.Probes, en.rec)
		if e.cfg.OnProbe != nil {
			e.cfg.OnProbe(en.rec)
		}
	}
}

// probe runs the trials of one candidate until they decide. A recheck
// runs fresh trials after the prior ones and decides on the fresh ones
// alone: the answer being doubted must not vote in its own retrial.
func (e *engine) probe(ctx context.Context, applied []string, prior []Outcome, recheck bool) (Record, error) {
	start := time.Now()
	lead, limit := e.lead(recheck)
	var trials []Outcome
	last := map[Outcome]Trial{}
	for {
		out, ok := decide(trials, lead)
		if len(trials) >= e.repeat && (ok || len(trials) >= limit) {
			t := last[out]
			return Record{
				Applied: applied, Outcome: out, Trials: append(slices.Clone(prior), trials...), Mixed: !ok,
				FailedCheck: t.FailedCheck, Detail: t.Detail, Data: t.Data,
				Seconds: time.Since(start).Seconds(),
			}, nil
		}
		t := e.trial(ctx, applied)
		if t.Err != nil {
			return Record{}, &trialError{t.Err}
		}
		if err := ctx.Err(); err != nil {
			return Record{}, err
		}
		trials = append(trials, t.Outcome)
		last[t.Outcome] = t
	}
}

// trial is one oracle run with Error retried; an Error that persists is
// Untestable (infrastructure trouble must never look like a culprit).
func (e *engine) trial(ctx context.Context, applied []string) Trial {
	var t Trial
	for range e.retries + 1 {
		t = e.cfg.Trial(ctx, applied)
		if t.Err != nil || t.Outcome == Good || t.Outcome == Bad || t.Outcome == Untestable || ctx.Err() != nil {
			return t
		}
	}
	t.Detail = fmt.Sprintf("oracle error after %d retries: %s", e.retries, t.Detail)
	t.Outcome = Untestable
	return t
}

// decide returns the most frequent outcome and whether it leads the
// runner-up by at least lead trials. Ties prefer untestable, then good:
// doubt never counts as bad.
func decide(trials []Outcome, lead int) (Outcome, bool) {
	count := map[Outcome]int{}
	for _, t := range trials {
		count[t]++
	}
	best, second := Untestable, -1
	for _, o := range []Outcome{Untestable, Good, Bad} {
		if count[o] > count[best] {
			best = o
		}
	}
	for _, o := range []Outcome{Untestable, Good, Bad} {
		if o != best && count[o] > second {
			second = count[o]
		}
	}
	return best, count[best]-second >= lead
}

// syncer is what an *os.File offers to make a journal line durable.
type syncer interface{ Sync() error }

var _ syncer = (*os.File)(nil)

// journal appends the record as one JSON line and syncs it.
func (e *engine) journal(r Record) error {
	if e.cfg.Journal == nil {
		return nil
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: encode probe %s: %w", r.Key, err)
	}
	if _, err := e.cfg.Journal.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("journal: write probe %s: %w", r.Key, err)
	}
	if s, ok := e.cfg.Journal.(syncer); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("journal: sync: %w", err)
		}
	}
	return nil
}
