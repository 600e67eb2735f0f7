package bisect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// closeUnder is the test's own closure: add required units to a fixpoint.
func closeUnder(set []string, requires map[string][]string) []string {
	out := slices.Clone(set)
	for changed := true; changed; {
		changed = false
		for _, u := range out {
			for _, r := range requires[u] {
				if !slices.Contains(out, r) {
					out, changed = append(out, r), true
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func without(set []string, u string) []string {
	return slices.DeleteFunc(slices.Clone(set), func(x string) bool { return x == u })
}

// randomCase draws units, a culprit expression, closure rules (acyclic) and
// untestable rules.
func randomCase(rng *rand.Rand) (Config, *sim) {
	n := 1 + rng.IntN(20)
	units := letters(n)
	s := &sim{units: n, untestable: map[string][]string{}}
	for range 1 + rng.IntN(2) {
		size := 1 + rng.IntN(min(3, n))
		var term []string
		for _, p := range rng.Perm(n)[:size] {
			term = append(term, units[p])
		}
		s.terms = append(s.terms, term)
	}
	cfg := Config{Units: units, Requires: map[string][]string{}}
	rank := rng.Perm(n) // a unit may only require units of lower rank: no cycle
	for i := range n {
		if rng.Float64() < 0.2 {
			j := rng.IntN(n)
			if rank[j] < rank[i] {
				cfg.Requires[units[i]] = append(cfg.Requires[units[i]], units[j])
			}
		}
	}
	if n > 1 && rng.Float64() < 0.4 {
		u, v := units[rng.IntN(n)], units[rng.IntN(n)]
		if u == v || rng.IntN(2) == 0 {
			s.untestable[u] = nil
		} else {
			s.untestable[u] = []string{v}
		}
	}
	cfg.Workers = 1 + 2*rng.IntN(2)
	return cfg, s
}

// TestProperties checks, over random cases, that every reported culprit is
// bad under the simulated oracle and 1-minimal (dropping any unit it does
// not flag untestable makes it good), that no candidate is probed twice,
// that innocents are not culprits, and that one worker is deterministic.
func TestProperties(t *testing.T) {
	for seed := range uint64(400) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg, s := randomCase(rand.New(rand.NewPCG(seed, 1)))
			cfg.Trial = s.probe
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			desc := fmt.Sprintf("terms %v requires %v untestable %v workers %d", s.terms, cfg.Requires, s.untestable, cfg.Workers)
			if res.Verdict != Culprit || len(res.Culprits) == 0 {
				t.Fatalf("%s: verdict %s %q, culprits %v", desc, res.Verdict, res.Detail, res.Culprits)
			}
			for _, c := range res.Culprits {
				if got := s.truth(closeUnder(c.Units, cfg.Requires)); got != Bad {
					t.Errorf("%s: culprit %v is %s", desc, c.Units, got)
				}
				for _, u := range c.Units {
					if slices.Contains(c.Untestable, u) {
						continue
					}
					if got := s.truth(closeUnder(without(c.Units, u), cfg.Requires)); got != Good {
						t.Errorf("%s: culprit %v without %s is %s: not 1-minimal", desc, c.Units, u, got)
					}
				}
				if len(s.untestable) == 0 && len(c.Untestable) > 0 {
					t.Errorf("%s: culprit %v has untestable units %v without any untestable rule", desc, c.Units, c.Untestable)
				}
				for _, u := range c.Units {
					if why, ok := res.Innocent[u]; ok {
						t.Errorf("%s: culprit unit %s called innocent: %s", desc, u, why)
					}
				}
			}
			// With several workers a probe cancelled as unneeded may be
			// asked again later: its answer was never taken.
			for key, calls := range s.calls {
				if calls != 1 && cfg.Workers == 1 {
					t.Errorf("%s: candidate {%s} probed %d times", desc, key, calls)
				}
			}
			finished := map[string]bool{}
			for _, p := range res.Probes {
				if finished[p.Key] {
					t.Errorf("%s: candidate {%s} finished twice", desc, p.Key)
				}
				finished[p.Key] = true
			}
			if cfg.Workers == 1 {
				again := &sim{terms: s.terms, untestable: s.untestable, units: s.units}
				cfg.Trial = again.probe
				res2, err := Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := probeLog(res, false), probeLog(res2, false); a != b {
					t.Errorf("%s: two runs differ:\n%s\n%s", desc, a, b)
				}
			}
		})
	}
}

// TestFlakyOracle is the requirement: an oracle flipping 20% of its
// answers, repeat 3, 100 seeded runs: no wrong culprit, at least 90 right.
func TestFlakyOracle(t *testing.T) {
	const n = 16
	right, flaky := 0, 0
	for seed := range uint64(100) {
		culprit := letters(n)[rand.New(rand.NewPCG(seed, 2)).IntN(n)]
		s := &sim{terms: [][]string{{culprit}}, units: n, flip: 0.2, seed: seed}
		res, err := Run(context.Background(), Config{Units: letters(n), Trial: s.probe, Repeat: 3})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.Verdict == Flaky:
			flaky++
		case res.Verdict == Culprit && len(res.Culprits) == 1 && slices.Equal(res.Culprits[0].Units, []string{culprit}):
			right++
		default:
			t.Errorf("seed %d: culprit %s, got %s %v\n%s", seed, culprit, res.Verdict, res.Culprits, probeLog(res, false))
		}
	}
	t.Logf("right %d, flaky %d of 100", right, flaky)
	if right < 90 {
		t.Errorf("right culprits: %d of 100, want at least 90 (flaky %d)", right, flaky)
	}
}

// TestResume interrupts runs after k probes, resumes from the journal and
// checks that nothing already known is probed again and that the result is
// the one of an uninterrupted run.
func TestResume(t *testing.T) {
	units := letters(12)
	terms := [][]string{{"c", "j"}, {"f"}}
	whole := &sim{terms: terms, units: len(units)}
	want, err := Run(context.Background(), Config{Units: units, Trial: whole.probe})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 3, 7, 12} {
		t.Run(fmt.Sprintf("after=%d", k), func(t *testing.T) {
			var journal bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			seen := 0
			first := &sim{terms: terms, units: len(units)}
			_, err := Run(ctx, Config{Units: units, Trial: first.probe, Journal: &journal, OnProbe: func(Record) {
				if seen++; seen == k {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: error %v, want context.Canceled", err)
			}
			// An interruption can tear the line being written.
			journal.WriteString(`{"key":"a,b","app`)
			replay, err := ReadJournal(&journal)
			if err != nil {
				t.Fatal(err)
			}
			if len(replay) != k {
				t.Fatalf("journal holds %d records, want %d", len(replay), k)
			}
			second := &sim{terms: terms, units: len(units)}
			got, err := Run(context.Background(), Config{Units: units, Trial: second.probe, Replay: replay})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range replay {
				if second.calls[r.Key] > 0 {
					t.Errorf("replayed candidate {%s} probed again", r.Key)
				}
			}
			if a, b := resultText(got, true), resultText(want, true); a != b {
				t.Errorf("resumed result differs:\n%s\nwant:\n%s", a, b)
			}
			if len(got.Probes) != len(want.Probes) {
				t.Errorf("resumed run has %d probes, uninterrupted %d", len(got.Probes), len(want.Probes))
			}
			// One worker: the resumed run numbers its rounds as the
			// uninterrupted one did.
			round := map[string]int{}
			for _, p := range want.Probes {
				round[p.Key] = p.Round
			}
			for _, p := range got.Probes {
				if p.Round != round[p.Key] {
					t.Errorf("probe {%s} in round %d, uninterrupted %d", p.Key, p.Round, round[p.Key])
				}
			}
			if got.Rounds != want.Rounds {
				t.Errorf("resumed run has %d rounds, uninterrupted %d", got.Rounds, want.Rounds)
			}
			replayed := 0
			for _, p := range got.Probes {
				if p.Replayed {
					replayed++
				}
			}
			if replayed != k {
				t.Errorf("%d probes marked replayed, want %d", replayed, k)
			}
		})
	}
}

func TestReadJournalErrors(t *testing.T) {
	tests := []struct {
		name, text, err string
		records         int
	}{
		{"empty", "", "", 0},
		{"torn last line", `{"key":"a","outcome":"good"}` + "\n" + `{"key":"b","out`, "", 1},
		{"blank lines", "\n" + `{"key":"a","outcome":"bad"}` + "\n\n", "", 1},
		{"garbage in the middle", "{}x\n" + `{"key":"a","outcome":"bad"}` + "\n", "line 1", 0},
		{"not an object", `["a"]` + "\n", "line 1", 0},
		{"bad outcome", `{"key":"a","outcome":"error"}` + "\n", `line 1: outcome "error"`, 0},
		{"header", `{"run":{"lock_old":"ab"}}` + "\n" + `{"key":"a","outcome":"bad"}` + "\n", "", 1},
		{"the finished run's report", `{"key":"a","outcome":"bad"}` + "\n" + `{"report":{"verdict":"culprit"}}` + "\n", "", 1},
		{"header after a record", `{"key":"a","outcome":"bad"}` + "\n" + `{"run":{"lock_old":"ab"}}` + "\n", `line 2: outcome ""`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := ReadJournal(strings.NewReader(tt.text))
			if tt.err == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
			if len(recs) != tt.records {
				t.Errorf("%d records, want %d", len(recs), tt.records)
			}
		})
	}
}

func TestReadHeader(t *testing.T) {
	var buf bytes.Buffer
	want := Header{Run: map[string]string{"lock_old": "ab", "config": "cd"}}
	if err := WriteHeader(&buf, want); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(`{"key":"a","outcome":"bad"}` + "\n")
	h, ok := ReadHeader(bytes.NewReader(buf.Bytes()))
	if !ok || h.Run["lock_old"] != "ab" || h.Run["config"] != "cd" || len(h.Run) != 2 {
		t.Errorf("ReadHeader = %v, %v; want %v", h, ok, want)
	}
	if _, ok := ReadHeader(strings.NewReader(`{"key":"a","outcome":"bad"}` + "\n")); ok {
		t.Error("a journal without a header has one")
	}
}

// FuzzReadJournal: any input is read without panicking, and what is read
// survives a write and a second read unchanged.
func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"key":"a,b","applied":["a","b"],"outcome":"bad","trials":["bad","good","bad"],"round":3,"purpose":"split"}` + "\n"))
	f.Add([]byte(`{"key":"x","outcome":"good","data":{"hash":"00"}}` + "\n{\"key\""))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadJournal(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		e := &engine{cfg: Config{Journal: &buf}}
		for _, r := range recs {
			if err := e.journal(r); err != nil {
				t.Fatal(err)
			}
		}
		again, err := ReadJournal(&buf)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("re-read %d records, wrote %d", len(again), len(recs))
		}
		for i := range recs {
			if again[i].Key != recs[i].Key || again[i].Outcome != recs[i].Outcome || !slices.Equal(again[i].Applied, recs[i].Applied) {
				t.Fatalf("record %d changed: %+v → %+v", i, recs[i], again[i])
			}
		}
	})
}

// TestNonMonotone gives the engine oracles that no culprit model fits
// (random truth tables, old good and new bad), one run per probe. Whatever
// it answers must hold literally: a culprit is bad and bad no more without
// any of its judged units; otherwise the verdict is flaky, with evidence.
func TestNonMonotone(t *testing.T) {
	units := letters(5)
	for seed := range uint64(200) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 3))
			table := map[string]Outcome{"": Good, strings.Join(units, ","): Bad}
			truth := func(applied []string) Outcome {
				k := strings.Join(applied, ",")
				if _, ok := table[k]; !ok {
					table[k] = []Outcome{Good, Bad, Bad, Untestable}[rng.IntN(4)]
				}
				return table[k]
			}
			res, err := Run(context.Background(), Config{Units: units, Trial: func(_ context.Context, applied []string) Trial {
				return Trial{Outcome: truth(applied)}
			}})
			if err != nil {
				t.Fatal(err)
			}
			switch res.Verdict {
			case Flaky:
				if len(res.Evidence) < 2 || len(res.Culprits) > 0 {
					t.Errorf("flaky with evidence %v and culprits %v", res.Evidence, res.Culprits)
				}
			case Culprit:
				for _, c := range res.Culprits {
					if truth(c.Units) != Bad {
						t.Errorf("culprit %v is %s", c.Units, truth(c.Units))
					}
					for _, u := range c.Units {
						if got := truth(without(c.Units, u)); got == Bad {
							t.Errorf("culprit %v without %s is still bad", c.Units, u)
						}
					}
				}
			default:
				t.Errorf("verdict %s", res.Verdict)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	probe := func(context.Context, []string) Trial { return Trial{Outcome: Good} }
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"no probe", Config{Units: []string{"a"}}, "Trial is nil"},
		{"duplicate unit", Config{Units: []string{"a", "a"}, Trial: probe}, `unit "a" listed twice`},
		{"unknown requirer", Config{Units: []string{"a"}, Requires: map[string][]string{"b": {"a"}}, Trial: probe}, `unknown unit "b"`},
		{"unknown required", Config{Units: []string{"a"}, Requires: map[string][]string{"a": {"c"}}, Trial: probe}, `requires unknown unit "c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}
