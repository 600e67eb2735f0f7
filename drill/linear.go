package drill

import (
	"context"

	"github.com/lockbisect/lockbisect/bisect"
)

// Line is the result of a linear bisection over n ordered items (releases
// or commits, oldest first) between a known good one (index -1) and a known
// bad one (index n).
type Line struct {
	LastGood int // index of the last item known good; -1 = the known good end
	FirstBad int // index of the first item known bad; n = the known bad end
	// Skipped are the items that could not be judged, in order. When any of
	// them lies between LastGood and FirstBad the answer is a range, not a
	// single step.
	Skipped []int
	Tested  map[int]bisect.Outcome
}

// Exact reports whether FirstBad is known to be the first bad item: nothing
// lies between it and LastGood.
func (l Line) Exact() bool { return l.FirstBad == l.LastGood+1 }

// Linear bisects items 0..n-1. probe judges one item and returns Good, Bad
// or Untestable (Error counts as Untestable: a skip, never bad).
//
// Invariant: lo is good (or -1) and hi is bad (or n); each probe picks the
// untested, unskipped item nearest the middle of (lo, hi), so skips only
// widen the final range and never move it.
func Linear(ctx context.Context, n int, probe func(ctx context.Context, i int) bisect.Outcome) (Line, error) {
	l := Line{LastGood: -1, FirstBad: n, Tested: map[int]bisect.Outcome{}}
	skipped := map[int]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return l, err
		}
		i := pick(l.LastGood, l.FirstBad, skipped)
		if i < 0 {
			break
		}
		o := probe(ctx, i)
		if err := ctx.Err(); err != nil {
			return l, err
		}
		l.Tested[i] = o
		switch o {
		case bisect.Good:
			l.LastGood = i
		case bisect.Bad:
			l.FirstBad = i
		default:
			skipped[i] = true
			l.Skipped = insertSorted(l.Skipped, i)
		}
	}
	return l, nil
}

// pick returns the item strictly between lo and hi nearest their middle that
// is not skipped, or -1.
func pick(lo, hi int, skipped map[int]bool) int {
	mid := lo + (hi-lo)/2
	for d := 0; mid-d > lo || mid+d < hi; d++ {
		if i := mid - d; i > lo && i < hi && !skipped[i] {
			return i
		}
		if i := mid + d; i > lo && i < hi && !skipped[i] {
			return i
		}
	}
	return -1
}

func insertSorted(s []int, v int) []int {
	i := 0
	for i < len(s) && s[i] < v {
		i++
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}
