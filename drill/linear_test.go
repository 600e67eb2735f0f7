package drill

import (
	"context"
	"math/rand"
	"testing"

	"github.com/lockbisect/lockbisect/bisect"
)

func TestLinear(t *testing.T) {
	cases := []struct {
		name      string
		n         int
		firstBad  int
		skip      []int
		wantGood  int
		wantBad   int
		wantExact bool
	}{
		{"empty list: the ends are the answer", 0, 0, nil, -1, 0, true},
		{"first item bad", 5, 0, nil, -1, 0, true},
		{"last item good", 5, 5, nil, 4, 5, true},
		{"middle", 9, 4, nil, 3, 4, true},
		{"skip beside the answer", 9, 4, []int{3}, 2, 4, false},
		{"skip everything", 4, 2, []int{0, 1, 2, 3}, -1, 4, false},
		{"skips elsewhere do not matter", 16, 11, []int{2, 7, 8, 14}, 10, 11, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			skip := map[int]bool{}
			for _, s := range c.skip {
				skip[s] = true
			}
			l, err := Linear(context.Background(), c.n, func(_ context.Context, i int) bisect.Outcome {
				switch {
				case skip[i]:
					return bisect.Untestable
				case i >= c.firstBad:
					return bisect.Bad
				}
				return bisect.Good
			})
			if err != nil {
				t.Fatal(err)
			}
			if l.LastGood != c.wantGood || l.FirstBad != c.wantBad || l.Exact() != c.wantExact {
				t.Errorf("got last good %d, first bad %d, exact %v; want %d, %d, %v", l.LastGood, l.FirstBad, l.Exact(), c.wantGood, c.wantBad, c.wantExact)
			}
		})
	}
}

// TestLinearProperties: over random lists, skips, and boundaries, the answer
// always brackets the true first bad item, is exact when no skip lies in
// the bracket, never probes an item twice, and without skips needs no more
// than ceil(log2(n+1)) probes.
func TestLinearProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 2000; iter++ {
		n := rng.Intn(40)
		first := rng.Intn(n + 1)
		skip := map[int]bool{}
		for i := 0; i < n; i++ {
			if rng.Intn(5) == 0 {
				skip[i] = true
			}
		}
		if iter%2 == 0 {
			skip = map[int]bool{}
		}
		probes := 0
		seen := map[int]bool{}
		l, _ := Linear(context.Background(), n, func(_ context.Context, i int) bisect.Outcome {
			probes++
			if seen[i] {
				t.Fatalf("n=%d: item %d probed twice", n, i)
			}
			seen[i] = true
			switch {
			case skip[i]:
				return bisect.Untestable
			case i >= first:
				return bisect.Bad
			}
			return bisect.Good
		})
		if !(l.LastGood < first && first <= l.FirstBad) {
			t.Fatalf("n=%d first=%d skip=%v: bracket (%d, %d] misses it", n, first, skip, l.LastGood, l.FirstBad)
		}
		for i := l.LastGood + 1; i < l.FirstBad; i++ {
			if !skip[i] {
				t.Fatalf("n=%d first=%d: item %d in the bracket was neither tested nor skipped", n, first, i)
			}
		}
		bound := 0
		for k := 1; k < n+1; k *= 2 {
			bound++
		}
		if len(skip) == 0 && probes > bound {
			t.Fatalf("n=%d: %d probes, bound %d", n, probes, bound)
		}
	}
}
