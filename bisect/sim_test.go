package bisect

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// sim is the simulated oracle: a monotone expression over unit ids in
// disjunctive normal form, untestable rules and a seeded flip rate. Its
// answers depend only on (seed, candidate, trial number), so runs are
// reproducible even with parallel workers.
type sim struct {
	terms [][]string // bad iff some term is wholly applied
	// untestable maps a unit to the units it cannot be built without; an
	// empty list means it cannot be built in any candidate but the new
	// lock (all units).
	untestable map[string][]string
	units      int
	flip       float64
	seed       uint64

	mu    sync.Mutex
	calls map[string]int // trials per candidate
}

// parseExpr reads `a && b || c`; "always" and "never" are constant.
func parseExpr(s string) ([][]string, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "never", "":
		return nil, nil
	case "always":
		return [][]string{{}}, nil
	}
	var terms [][]string
	for _, t := range strings.Split(s, "||") {
		var term []string
		for _, u := range strings.Split(t, "&&") {
			u = strings.TrimSpace(u)
			if u == "" || strings.ContainsAny(u, " \t()!") {
				return nil, fmt.Errorf("expression %q: bad unit %q", s, u)
			}
			term = append(term, u)
		}
		terms = append(terms, term)
	}
	return terms, nil
}

// truth is the expression's value, ignoring untestability.
func (s *sim) truth(applied []string) Outcome {
	for _, t := range s.terms {
		ok := true
		for _, u := range t {
			if !slices.Contains(applied, u) {
				ok = false
				break
			}
		}
		if ok {
			return Bad
		}
	}
	return Good
}

// answer is the noiseless answer to a candidate.
func (s *sim) answer(applied []string) Outcome {
	if len(applied) < s.units {
		for u, without := range s.untestable {
			if !slices.Contains(applied, u) {
				continue
			}
			if len(without) == 0 {
				return Untestable
			}
			for _, w := range without {
				if !slices.Contains(applied, w) {
					return Untestable
				}
			}
		}
	}
	return s.truth(applied)
}

func (s *sim) probe(_ context.Context, applied []string) Trial {
	key := strings.Join(applied, ",")
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	k := s.calls[key]
	s.calls[key]++
	s.mu.Unlock()
	out := s.answer(applied)
	if s.flip > 0 && out != Untestable {
		// A cryptographic hash keeps the flips of successive trials of one
		// candidate independent (nearby PCG seeds are correlated).
		h := sha256.Sum256(fmt.Appendf(nil, "%d|%s|%d", s.seed, key, k))
		if float64(binary.BigEndian.Uint64(h[:8])>>11)/(1<<53) < s.flip {
			out = map[Outcome]Outcome{Good: Bad, Bad: Good}[out]
		}
	}
	t := Trial{Outcome: out}
	if out == Bad {
		t.FailedCheck = "tools-list"
	}
	return t
}

// letters names n units a, b, c, … (then u27, u28, …).
func letters(n int) []string {
	out := make([]string, n)
	for i := range n {
		if i < 26 {
			out[i] = string(rune('a' + i))
		} else {
			out[i] = fmt.Sprintf("u%d", i+1)
		}
	}
	return out
}
