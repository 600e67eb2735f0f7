package bisect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// benchUnits names n units so that sorting keeps the diff order.
func benchUnits(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%03d", i)
	}
	return out
}

// benchCulprit draws k distinct culprit units (k=2: they fail only
// together).
func benchCulprit(rng *rand.Rand, units []string, k int) []string {
	perm := rng.Perm(len(units))[:k]
	out := make([]string, k)
	for i, p := range perm {
		out[i] = units[p]
	}
	slices.Sort(out)
	return out
}

// BenchmarkSearch measures probes (including baselines, confirmations and
// the remainder check) and rounds (sequential batches) per search, over
// culprit positions drawn at random from a fixed seed.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{8, 64, 512} {
		for _, k := range []int{1, 2} {
			for _, w := range []int{1, 4} {
				b.Run(fmt.Sprintf("n=%d/culprits=%d/workers=%d", n, k, w), func(b *testing.B) {
					units := benchUnits(n)
					rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
					probes, rounds := 0, 0
					for b.Loop() {
						culprit := benchCulprit(rng, units, k)
						s := &sim{terms: [][]string{culprit}, units: n}
						res, err := Run(context.Background(), Config{Units: units, Trial: s.probe, Workers: w})
						if err != nil {
							b.Fatal(err)
						}
						if res.Verdict != Culprit || len(res.Culprits) != 1 || !slices.Equal(res.Culprits[0].Units, culprit) {
							b.Fatalf("culprit %v: got %s %v", culprit, res.Verdict, res.Culprits)
						}
						probes += len(res.Probes)
						rounds += res.Rounds
					}
					b.ReportMetric(float64(probes)/float64(b.N), "probes/op")
					b.ReportMetric(float64(rounds)/float64(b.N), "rounds/op")
				})
			}
		}
	}
	for _, n := range []int{8, 64, 512} {
		for _, k := range []int{1, 2} {
			b.Run(fmt.Sprintf("ddmin/n=%d/culprits=%d", n, k), func(b *testing.B) {
				units := benchUnits(n)
				rng := rand.New(rand.NewPCG(uint64(n), uint64(k)))
				probes := 0
				for b.Loop() {
					culprit := benchCulprit(rng, units, k)
					s := &sim{terms: [][]string{culprit}, units: n}
					got, tests := ddmin(units, s)
					slices.Sort(got)
					if !slices.Equal(got, culprit) {
						b.Fatalf("ddmin: culprit %v, got %v", culprit, got)
					}
					probes += tests
				}
				// ddmin probes one candidate at a time: rounds equal probes.
				b.ReportMetric(float64(probes)/float64(b.N), "probes/op")
				b.ReportMetric(float64(probes)/float64(b.N), "rounds/op")
			})
		}
	}
}

// ddmin is Zeller and Hildebrandt's delta debugging minimisation, the
// algorithm other dependency bisectors use, with a memo of tested sets. Its
// count includes the two baselines, as the engine's does.
func ddmin(units []string, s *sim) ([]string, int) {
	tested := map[string]Outcome{}
	test := func(set []string) Outcome {
		sorted := slices.Clone(set)
		slices.Sort(sorted)
		key := strings.Join(sorted, ",")
		if o, ok := tested[key]; ok {
			return o
		}
		o := s.answer(sorted)
		tested[key] = o
		return o
	}
	test(nil)
	c := slices.Clone(units)
	test(c)
	parts := 2
	for len(c) >= 2 {
		chunks := split(c, parts)
		reduced := false
		for _, d := range chunks {
			if test(d) == Bad {
				c, parts, reduced = d, 2, true
				break
			}
		}
		if !reduced {
			for i := range chunks {
				var rest []string
				for j, d := range chunks {
					if j != i {
						rest = append(rest, d...)
					}
				}
				if test(rest) == Bad {
					c, parts, reduced = rest, max(parts-1, 2), true
					break
				}
			}
		}
		if !reduced {
			if parts >= len(c) {
				break
			}
			parts = min(2*parts, len(c))
		}
	}
	return c, len(tested)
}

// split cuts c into parts chunks of nearly equal size.
func split(c []string, parts int) [][]string {
	out := make([][]string, 0, parts)
	start := 0
	for i := range parts {
		end := start + (len(c)-start)/(parts-i)
		out = append(out, c[start:end])
		start = end
	}
	return out
}
