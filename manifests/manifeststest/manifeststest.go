// Package manifeststest is the contract every ecosystem keeps, as one
// suite that each ecosystem runs over its own scenarios (restic's backend
// tests are the model): an ecosystem that passes it can be searched.
package manifeststest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

// EverySubset holds the candidate of every subset of the pair's units to
// the contract, the empty and the full set first, each in a subtest named
// by the subset: Candidate refuses a subset, with manifests.ErrInfeasible,
// exactly when it is not closed under the diff's edges, and a candidate
// built twice hashes the same. Then it calls check with the candidate (nil
// when refused), where the ecosystem holds it to its real tools. It
// returns the number of feasible subsets.
func EverySubset(t *testing.T, pair manifests.Pair, check func(t *testing.T, applied []string, c *manifests.Candidate)) int {
	t.Helper()
	d := pair.Diff()
	n := len(d.Units)
	full := 1<<n - 1
	masks := []int{0}
	if full > 0 {
		masks = append(masks, full)
	}
	for mask := 1; mask < full; mask++ {
		masks = append(masks, mask)
	}
	feasible := 0
	for _, mask := range masks {
		var applied []string
		for i, u := range d.Units {
			if mask&(1<<i) != 0 {
				applied = append(applied, u.ID)
			}
		}
		t.Run(fmt.Sprint(applied), func(t *testing.T) {
			closed, _ := manifests.Closed(applied, d.Edges)
			c, err := pair.Candidate(applied)
			switch {
			case !closed && !errors.Is(err, manifests.ErrInfeasible):
				t.Fatalf("Candidate(%v) on a set not closed under the edges: err = %v, want ErrInfeasible", applied, err)
			case closed && err != nil:
				t.Fatalf("Candidate(%v): %v", applied, err)
			case closed:
				feasible++
				again, err := pair.Candidate(applied)
				if err != nil || again.Hash() != c.Hash() {
					t.Fatalf("Candidate(%v) built again: %v, hash %s, want %s", applied, err, hashOf(again), c.Hash())
				}
			default:
				c = nil
			}
			check(t, applied, c)
		})
	}
	return feasible
}

func hashOf(c *manifests.Candidate) string {
	if c == nil {
		return "none"
	}
	return c.Hash()
}
