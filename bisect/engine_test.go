package bisect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestErrorRetries: an Error trial is re-run Retries times, then counts as
// untestable; one that recovers counts as what it recovered to.
func TestErrorRetries(t *testing.T) {
	tests := []struct {
		name       string
		retries    int
		errors     int // Error answers before the real one
		want       Outcome
		wantCalls  int
		wantDetail string
	}{
		{"recovers", 0, 2, Bad, 3, ""},
		{"default retries exhausted", 0, 5, Untestable, 3, "oracle error after 2 retries: docker down"},
		{"no retries", -1, 1, Untestable, 1, "oracle error after 0 retries: docker down"},
		{"more retries", 4, 4, Bad, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			e, err := newEngine(Config{Units: []string{"a"}, Retries: tt.retries, Trial: func(context.Context, []string) Trial {
				calls++
				if calls <= tt.errors {
					return Trial{Outcome: Error, Detail: "docker down"}
				}
				return Trial{Outcome: Bad}
			}})
			if err != nil {
				t.Fatal(err)
			}
			got := e.trial(context.Background(), []string{"a"})
			if got.Outcome != tt.want || calls != tt.wantCalls || got.Detail != tt.wantDetail {
				t.Errorf("got %s %q after %d calls, want %s %q after %d", got.Outcome, got.Detail, calls, tt.want, tt.wantDetail, tt.wantCalls)
			}
		})
	}
}

// TestCancelUnneeded: with four workers, split points above one that came
// back bad are cancelled through their context instead of awaited.
func TestCancelUnneeded(t *testing.T) {
	units := letters(16)
	var cancelled, started atomic.Int32
	res, err := Run(context.Background(), Config{
		Units: units, Workers: 4,
		OnStart: func(int, []string) { started.Add(1) },
		Trial: func(ctx context.Context, applied []string) Trial {
			if !slices.Contains(applied, "b") {
				return Trial{Outcome: Good}
			}
			if len(applied) > 8 && len(applied) < len(units) {
				// A slow build: it only ends when the engine gives up on it.
				<-ctx.Done()
				cancelled.Add(1)
				return Trial{Outcome: Error}
			}
			return Trial{Outcome: Bad}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != Culprit || len(res.Culprits) != 1 || !slices.Equal(res.Culprits[0].Units, []string{"b"}) {
		t.Fatalf("got %s %v", res.Verdict, res.Culprits)
	}
	if cancelled.Load() == 0 {
		t.Error("no probe cancelled, want the split points above the bad one")
	}
	// Probes cancelled after answering are discarded too: OnStart counts
	// at least the finished and the blocked ones.
	if int(started.Load()) < len(res.Probes)+int(cancelled.Load()) {
		t.Errorf("OnStart called %d times for %d finished and %d cancelled probes", started.Load(), len(res.Probes), cancelled.Load())
	}
	for _, p := range res.Probes {
		if p.Outcome == Untestable {
			t.Errorf("a cancelled probe was recorded: %+v", p)
		}
	}
}

// TestJournalFile: a journal in a real file holds one synced line per
// finished probe, readable by ReadJournal.
func TestJournalFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &sim{terms: [][]string{{"c", "f"}}, units: 8}
	res, err := Run(context.Background(), Config{Units: letters(8), Trial: s.probe, Journal: f})
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := ReadJournal(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(res.Probes) {
		t.Fatalf("journal holds %d records, run made %d probes", len(recs), len(res.Probes))
	}
	for i := range recs {
		if recs[i].Key != res.Probes[i].Key || recs[i].Outcome != res.Probes[i].Outcome || recs[i].Purpose != res.Probes[i].Purpose {
			t.Errorf("record %d: %+v, probe %+v", i, recs[i], res.Probes[i])
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// TestJournalError: a journal that cannot be written stops the run with an
// error naming the journal, rather than losing probes silently.
func TestJournalError(t *testing.T) {
	s := &sim{terms: [][]string{{"b"}}, units: 4}
	_, err := Run(context.Background(), Config{Units: letters(4), Trial: s.probe, Journal: failingWriter{}})
	if err == nil || !errors.Is(err, os.ErrClosed) || !strings.Contains(err.Error(), "journal: write probe") {
		t.Fatalf("error %v, want a wrapped journal write error", err)
	}
}

// TestBaselines: a baseline that cannot be judged never becomes old-fails
// or not-reproduced, and a Trial's Err stops the run with that error,
// also from a worker running beside others.
func TestBaselines(t *testing.T) {
	setup := errors.New("runner.start: template: bad")
	tests := []struct {
		name    string
		workers int
		old     Trial // the empty set
		new     Trial // every other candidate
		want    Verdict
		wantErr error
	}{
		{"old bad", 1, Trial{Outcome: Bad}, Trial{Outcome: Bad}, OldFails, nil},
		{"old untestable", 1, Trial{Outcome: Untestable}, Trial{Outcome: Bad}, OldUntestable, nil},
		{"old errs every time", 1, Trial{Outcome: Error}, Trial{Outcome: Bad}, OldUntestable, nil},
		{"new good", 1, Trial{Outcome: Good}, Trial{Outcome: Good}, NotReproduced, nil},
		{"new untestable", 1, Trial{Outcome: Good}, Trial{Outcome: Untestable}, NewUntestable, nil},
		{"new errs every time", 1, Trial{Outcome: Good}, Trial{Outcome: Error}, NewUntestable, nil},
		{"old cannot be tried", 1, Trial{Err: setup}, Trial{Outcome: Bad}, "", setup},
		{"new cannot be tried", 1, Trial{Outcome: Good}, Trial{Err: setup}, "", setup},
		{"cannot be tried, four workers", 4, Trial{Outcome: Good}, Trial{Err: setup}, "", setup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				Units: letters(6), Workers: tt.workers,
				Trial: func(_ context.Context, applied []string) Trial {
					if len(applied) == 0 {
						return tt.old
					}
					return tt.new
				},
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && res.Verdict != tt.want {
				t.Errorf("verdict %s (%s), want %s", res.Verdict, res.Detail, tt.want)
			}
		})
	}
}

// TestBaselinesTogether: with two workers or more, the old and the new
// lock are probed at the same time (the first probe does not wait for the
// other baseline), whatever the runner. Each baseline's probe waits for
// the other to start; run one after the other, the first would give up
// waiting (a bound, not a timing claim) and report it.
func TestBaselinesTogether(t *testing.T) {
	for _, workers := range []int{2, 3, 8} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			arrived := map[bool]chan struct{}{false: make(chan struct{}), true: make(chan struct{})}
			var alone atomic.Int32
			res, err := Run(context.Background(), Config{
				Units: letters(6), Workers: workers,
				Trial: func(ctx context.Context, applied []string) Trial {
					if len(applied) == 0 || len(applied) == 6 {
						newer := len(applied) == 6
						close(arrived[newer])
						select {
						case <-arrived[!newer]:
						case <-time.After(30 * time.Second):
							alone.Add(1)
						case <-ctx.Done():
						}
					}
					if slices.Contains(applied, "d") {
						return Trial{Outcome: Bad}
					}
					return Trial{Outcome: Good}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := alone.Load(); n > 0 {
				t.Errorf("%d baseline(s) ran alone with %d workers", n, workers)
			}
			if res.Verdict != Culprit {
				t.Errorf("verdict %s (%s), want %s", res.Verdict, res.Detail, Culprit)
			}
		})
	}
}
