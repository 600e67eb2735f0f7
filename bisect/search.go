package bisect

import (
	"context"
	"slices"
)

// maxRestarts bounds how often a culprit search starts over after a
// re-check overturned one of its facts; beyond it the oracle is too flaky
// to trust and the verdict says so.
const maxRestarts = 3

// run is the driver: baselines, then culprit after culprit until the
// remainder passes.
func (e *engine) run(ctx context.Context) error {
	n := len(e.g.units)
	if n == 0 {
		e.res.Verdict, e.res.Detail = NoChanges, "the two locks do not differ"
		return nil
	}
	none, all := make([]bool, n), make([]bool, n)
	for i := range all {
		all[i] = true
	}
	jobs := []job{{set: none, purpose: "baseline-old"}, {set: all, purpose: "baseline-new"}}
	if k := min(e.workers-2, n-1); k > 0 {
		// Spare workers start the first split points beside the
		// baselines; the first narrowing wave then finds them answered.
		e.head = spread(n, 0, nil, k)
		for _, p := range e.head {
			jobs = append(jobs, e.prefix(none, e.g.order, p))
		}
	}
	got, err := e.batch(ctx, jobs, func(got []*entry) []bool {
		no := make([]bool, len(got))
		copy(no[2:], narrowed(got[2:]))
		for i := 1; i < len(got); i++ {
			no[i] = no[i] || (got[0] != nil && got[0].rec.Outcome != Good) || (i > 1 && got[1] != nil && got[1].rec.Outcome != Bad)
		}
		return no
	})
	if err != nil {
		return err
	}
	old, err := e.settle(ctx, got[0], none, Good)
	if err != nil {
		return err
	}
	switch {
	case old.rec.Mixed:
		return e.flaky("the old lock disagrees with itself", old.rec)
	case old.rec.Outcome == Bad:
		e.res.Verdict, e.res.Detail = OldFails, "the old lock fails too: the cause is not in this diff"
		return nil
	case old.rec.Outcome == Untestable:
		e.res.Verdict, e.res.Detail = OldUntestable, "the old lock could not be judged (not built, not started, or the oracle could not run): nothing can be concluded from the diff"
		return nil
	}
	newer := got[1]
	if newer == nil {
		if newer, err = e.one(ctx, job{set: all, purpose: "baseline-new"}); err != nil {
			return err
		}
	}
	if newer, err = e.settle(ctx, newer, all, Bad); err != nil {
		return err
	}
	switch {
	case newer.rec.Mixed:
		return e.flaky("the new lock disagrees with itself", newer.rec)
	case newer.rec.Outcome == Good:
		e.res.Verdict, e.res.Detail = NotReproduced, "the new lock passes: the failure did not reproduce"
		return nil
	case newer.rec.Outcome == Untestable:
		e.res.Verdict, e.res.Detail = NewUntestable, "the new lock could not be judged (not built, not started, or the oracle could not run): nothing to bisect"
		return nil
	}
	return e.culprits(ctx, all)
}

// culprits finds culprit after culprit in pool (closed, known bad), taking
// each found set and what needs it out, until what is left passes.
func (e *engine) culprits(ctx context.Context, pool []bool) error {
	restarts := 0
	for {
		list := e.inPool(pool)
		f, err := e.culprit(ctx, pool, list)
		if err != nil {
			return err
		}
		if len(f.evidence) > 0 {
			return e.flaky(f.why, f.evidence...)
		}
		if f.flipped != nil {
			restarts++
			if restarts > maxRestarts {
				return e.flaky("re-checks keep overturning the probes a culprit rests on", f.flipped...)
			}
			if en := e.memo[e.key(pool)]; en.rec.Outcome != Bad {
				if len(e.res.Culprits) == 0 {
					return e.flaky("the new lock disagrees with itself", en.rec)
				}
				break
			}
			continue
		}
		restarts = 0
		e.res.Culprits = append(e.res.Culprits, f.set)
		taken := make([]bool, len(pool))
		for _, m := range f.members {
			taken[m.unit] = true
		}
		taken = e.g.dependents(taken)
		for i := range pool {
			pool[i] = pool[i] && !taken[i]
		}
		if !slices.Contains(pool, true) {
			break
		}
		rest, err := e.one(ctx, job{set: pool, purpose: "remainder"})
		if err != nil {
			return err
		}
		if rest, err = e.settle(ctx, rest, pool, Good); err != nil {
			return err
		}
		if rest.rec.Outcome == Good {
			break
		}
		if rest.rec.Outcome == Untestable {
			// Nothing more can be learnt about these units.
			e.unjudged = e.g.inOrder(e.inPool(pool))
			break
		}
	}
	e.res.Verdict = Culprit
	return nil
}

// member is a unit of a culprit under construction.
type member struct {
	unit int
	// proof is the key of a good probe holding every other member but not
	// this unit: the search's own evidence that the unit is needed. Empty
	// when the unit was found inside a group or next to an untestable probe.
	proof  string
	verify *entry // the probe of the culprit without this unit
}

// found is what one culprit search ends with: a set, a re-check that
// overturned a fact (search again), or evidence that the oracle cannot be
// trusted.
type found struct {
	set      Set
	members  []member
	flipped  []Record
	evidence []Record
	why      string
}

// culprit finds one culprit among list (the pool in closure order).
//
// Invariant of the narrowing loop: close(F ∪ L) is bad and close(F) is not
// known bad, where F are the members found so far and L the units left to
// search. Each step finds the least prefix L[:p] with close(F ∪ L[:p]) bad
// (boundary); its last unit is needed given F and L[:p-1], so it joins F and
// L shrinks to L[:p-1], which keeps the invariant. The loop ends when
// close(F) alone is bad: the other side's units were all applied in the
// prefix probes, so interacting units are found one after the other, each
// with the ones found before applied (the x/tools bisect recursion, unrolled
// along one order).
func (e *engine) culprit(ctx context.Context, pool []bool, list []int) (found, error) {
	n := len(e.g.units)
	forced := make([]bool, n)
	var members []member
	l := list
	loGood, loKey := true, e.key(make([]bool, n))
	for {
		if len(members) > 0 {
			check, err := e.check(ctx, pool, forced)
			if err != nil {
				return found{}, err
			}
			if check.rec.Outcome == Bad {
				break
			}
			loGood, loKey = check.rec.Outcome == Good, check.rec.Key
		}
		cl := e.g.closure(forced)
		l = slices.DeleteFunc(slices.Clone(l), func(u int) bool { return cl[u] })
		lo, hi, key, err := e.boundary(ctx, forced, l)
		if err != nil {
			return found{}, err
		}
		proof := ""
		if hi-lo == 1 && (lo > 0 || loGood) {
			proof = loKey
			if lo > 0 {
				proof = key
			}
		}
		for _, u := range l[lo:hi] {
			members = append(members, member{unit: u, proof: proof})
			forced[u] = true
		}
		l = l[:lo]
	}
	return e.verify(ctx, members)
}

// check probes the members found so far alone; with spare workers the
// remainder that would follow if they were the whole culprit is probed
// alongside, and cancelled when they are not.
func (e *engine) check(ctx context.Context, pool, forced []bool) (*entry, error) {
	jobs := []job{{set: e.g.closure(forced), purpose: "confirm"}}
	if e.workers > 1 {
		taken := e.g.dependents(forced)
		rest := make([]bool, len(pool))
		for i := range pool {
			rest[i] = pool[i] && !taken[i]
		}
		if slices.Contains(rest, true) {
			jobs = append(jobs, job{set: rest, purpose: "remainder"})
		}
	}
	got, err := e.batch(ctx, jobs, func(got []*entry) []bool {
		no := make([]bool, len(got))
		for i := 1; i < len(got); i++ {
			no[i] = got[0] != nil && got[0].rec.Outcome != Bad
		}
		return no
	})
	if err != nil {
		return nil, err
	}
	return got[0], nil
}

// boundary finds the least p with close(F ∪ L[:p]) bad, knowing it holds for
// p = len(L). It returns lo < hi where p = hi is bad, p = lo is good (or 0)
// and every p between them is untestable; key names the probe of lo.
func (e *engine) boundary(ctx context.Context, forced []bool, l []int) (lo, hi int, key string, err error) {
	lo, hi = 0, len(l)
	skipped := map[int]bool{}
	for {
		var picks []int
		var got []*entry
		if e.head != nil {
			// Probed beside the baselines: take up what was answered.
			picks, e.head = e.head, nil
			got = make([]*entry, len(picks))
			for i, p := range picks {
				if en := e.memo[e.key(e.prefix(forced, l, p).set)]; en != nil {
					e.use(en)
					got[i] = en
				}
			}
		} else {
			cand := candidates(hi, lo, skipped)
			if len(cand) == 0 {
				return lo, hi, key, nil
			}
			picks = spread(hi, lo, skipped, min(e.workers, len(cand)))
			jobs := make([]job, len(picks))
			for i, p := range picks {
				jobs[i] = e.prefix(forced, l, p)
			}
			if got, err = e.batch(ctx, jobs, narrowed); err != nil {
				return 0, 0, "", err
			}
		}
		for i, en := range got {
			if en != nil && en.rec.Outcome == Bad && picks[i] < hi {
				hi = picks[i]
			}
		}
		for i, en := range got {
			switch {
			case en == nil:
			case en.rec.Outcome == Good && picks[i] < hi && picks[i] > lo:
				lo, key = picks[i], en.rec.Key
			case en.rec.Outcome == Untestable:
				skipped[picks[i]] = true
			}
		}
	}
}

// narrowed tells which of the split points got (in increasing order) no
// longer matter: once one is bad, those above it; once one is good, those
// below it.
func narrowed(got []*entry) []bool {
	no := make([]bool, len(got))
	for i, en := range got {
		if en == nil {
			continue
		}
		for j := range got {
			if (en.rec.Outcome == Bad && j > i) || (en.rec.Outcome == Good && j < i) {
				no[j] = true
			}
		}
	}
	return no
}

// candidates are the split points strictly between lo and hi not known
// untestable.
func candidates(hi, lo int, skipped map[int]bool) []int {
	var cand []int
	for p := lo + 1; p < hi; p++ {
		if !skipped[p] {
			cand = append(cand, p)
		}
	}
	return cand
}

// spread picks k split points evenly among the candidates, so that the
// k+1 ranges they leave are as equal as can be.
func spread(hi, lo int, skipped map[int]bool, k int) []int {
	cand := candidates(hi, lo, skipped)
	picks := make([]int, k)
	for i := range k {
		picks[i] = cand[(i+1)*len(cand)/(k+1)]
	}
	return picks
}

// prefix is the job probing the forced units with the first p units of l.
func (e *engine) prefix(forced []bool, l []int, p int) job {
	set := slices.Clone(forced)
	for _, u := range l[:p] {
		set[u] = true
	}
	return job{set: e.g.closure(set), purpose: "split"}
}

// verify makes the set 1-minimal by probing it without each member in
// turn: a member whose removal still fails is dropped (this is how the
// search gets around untestable probes), one whose removal passes is
// needed. A pass that dropped members is followed by another, so that
// every member ends up judged against the final set (answers already known
// come from the memo). A drop that contradicts a good probe holding the
// rest of the set is a sign of flakiness.
func (e *engine) verify(ctx context.Context, members []member) (found, error) {
	for {
		dropped := false
		for i := 0; i < len(members); {
			got, err := e.without(ctx, members, i)
			if err != nil {
				return found{}, err
			}
			for _, en := range got {
				if en.rec.Outcome != Bad {
					members[i].verify = en
					i++
					continue
				}
				if members[i].verify != nil && members[i].verify.rec.Outcome == Good {
					return e.contradiction(ctx, members[i].verify, en)
				}
				if p := members[i].proof; p != "" {
					return e.contradiction(ctx, e.memo[p], en)
				}
				members = slices.Delete(members, i, i+1)
				dropped = true
				break
			}
		}
		if !dropped {
			return e.conclude(ctx, members)
		}
	}
}

// without probes the set without each of the members from i on, as many at
// once as there are workers; answers after the first bad one are not
// needed.
func (e *engine) without(ctx context.Context, members []member, i int) ([]*entry, error) {
	n := len(e.g.units)
	k := min(e.workers, len(members)-i)
	jobs := make([]job, k)
	for j := range k {
		set := make([]bool, n)
		for _, o := range members {
			set[o.unit] = o.unit != members[i+j].unit
		}
		jobs[j] = job{set: e.g.closure(set), purpose: "verify"}
	}
	got, err := e.batch(ctx, jobs, func(got []*entry) []bool {
		no := make([]bool, len(got))
		for j, en := range got {
			if en != nil && en.rec.Outcome == Bad {
				for l := j + 1; l < len(got); l++ {
					no[l] = true
				}
				break
			}
		}
		return no
	})
	if err != nil {
		return nil, err
	}
	for j, en := range got {
		if en == nil {
			return got[:j], nil
		}
	}
	return got, nil
}

// contradiction handles a good probe that holds a bad one: with one run
// per probe it is evidence of flakiness; with more, both are re-checked and
// the search starts over if either changes.
func (e *engine) contradiction(ctx context.Context, good, bad *entry) (found, error) {
	why := "a probe passed that holds a set which failed"
	if e.repeat == 1 {
		return found{evidence: []Record{good.rec, bad.rec}, why: why + " (repeat the runs to tell flakiness apart)"}, nil
	}
	flipped, err := e.recheck(ctx, []*entry{good, bad}, []Outcome{Good, Bad})
	if err != nil {
		return found{}, err
	}
	if flipped != nil {
		return found{flipped: flipped}, nil
	}
	return found{evidence: []Record{e.memo[good.rec.Key].rec, e.memo[bad.rec.Key].rec}, why: why}, nil
}

// conclude builds the culprit from verified members; with several runs per
// probe it first re-checks every probe the culprit rests on.
func (e *engine) conclude(ctx context.Context, members []member) (found, error) {
	n := len(e.g.units)
	set := make([]bool, n)
	for _, m := range members {
		set[m.unit] = true
	}
	confirm, err := e.one(ctx, job{set: e.g.closure(set), purpose: "confirm"})
	if err != nil {
		return found{}, err
	}
	if e.repeat > 1 {
		facts, want := []*entry{confirm}, []Outcome{Bad}
		for _, m := range members {
			if m.verify.rec.Outcome == Good {
				facts, want = append(facts, m.verify), append(want, Good)
			}
		}
		flipped, err := e.recheck(ctx, facts, want)
		if err != nil {
			return found{}, err
		}
		if flipped != nil {
			return found{flipped: flipped}, nil
		}
		confirm = e.memo[confirm.rec.Key]
		for i, m := range members {
			members[i].verify = e.memo[m.verify.rec.Key]
		}
	}
	var mixed []Record
	for _, en := range append([]*entry{confirm}, verifies(members)...) {
		if en.rec.Mixed {
			mixed = append(mixed, en.rec)
		}
	}
	if len(mixed) > 0 {
		return found{evidence: mixed, why: "the probes this culprit rests on disagree with themselves"}, nil
	}
	units := make([]int, len(members))
	var untestable []int
	for i, m := range members {
		units[i] = m.unit
		if m.verify.rec.Outcome != Good && m.proof == "" {
			untestable = append(untestable, m.unit)
		}
	}
	cl := e.g.closure(set)
	var requires []int
	for i, in := range cl {
		if in && !set[i] {
			requires = append(requires, i)
		}
	}
	s := Set{Units: e.g.inOrder(units), Untestable: e.g.inOrder(untestable), Requires: e.g.inOrder(requires), Confirm: confirm.rec}
	if len(s.Untestable) == 0 {
		s.Untestable = nil
	}
	if len(s.Requires) == 0 {
		s.Requires = nil
	}
	return found{set: s, members: members}, nil
}

func verifies(members []member) []*entry {
	out := make([]*entry, len(members))
	for i, m := range members {
		out[i] = m.verify
	}
	return out
}

// recheck extends the trials of the facts not re-checked yet to the
// stricter lead and returns the records whose outcome is no longer the one
// wanted (nil when all held).
func (e *engine) recheck(ctx context.Context, facts []*entry, want []Outcome) ([]Record, error) {
	var jobs []job
	for _, f := range facts {
		if !f.rechecked {
			jobs = append(jobs, job{set: e.g.members(e.unitsOf(f.rec.Applied)), purpose: "recheck", recheck: true})
		}
	}
	if len(jobs) > 0 {
		if _, err := e.batch(ctx, jobs, nil); err != nil {
			return nil, err
		}
	}
	var flipped []Record
	for i, f := range facts {
		now := e.memo[f.rec.Key]
		if now.rec.Outcome != want[i] {
			flipped = append(flipped, now.rec)
		}
	}
	return flipped, nil
}

// settle re-checks a baseline or remainder that came out other than
// expected, when the oracle may be flaky.
func (e *engine) settle(ctx context.Context, en *entry, set []bool, want Outcome) (*entry, error) {
	if e.repeat == 1 || en.rechecked || (en.rec.Outcome == want && !en.rec.Mixed) {
		return en, nil
	}
	if _, err := e.batch(ctx, []job{{set: set, purpose: "recheck", recheck: true}}, nil); err != nil {
		return nil, err
	}
	return e.memo[en.rec.Key], nil
}

// one answers a single job.
func (e *engine) one(ctx context.Context, j job) (*entry, error) {
	got, err := e.batch(ctx, []job{j}, nil)
	if err != nil {
		return nil, err
	}
	return got[0], nil
}

// flaky ends the run with a flaky verdict.
func (e *engine) flaky(why string, evidence ...Record) error {
	e.res.Verdict, e.res.Detail, e.res.Evidence = Flaky, why, evidence
	e.res.Culprits = nil
	return nil
}

func (e *engine) key(set []bool) string { return e.cfg.Key(e.g.ids(set)) }

// inPool lists the pool's units in closure order.
func (e *engine) inPool(pool []bool) []int {
	var out []int
	for _, u := range e.g.order {
		if pool[u] {
			out = append(out, u)
		}
	}
	return out
}

func (e *engine) unitsOf(ids []string) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = e.g.index[id]
	}
	return out
}
