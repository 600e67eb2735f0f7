package hunt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/config"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/oracles"
	"github.com/lockbisect/lockbisect/oracles/exec"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/local"
)

// fakeEcosystem opens any two fake.lock files as the same diff: four
// upgraded packages, each a unit of its own, and writes a candidate as the
// sorted list of its applied units.
type fakeEcosystem struct{}

func (fakeEcosystem) Name() string       { return "fake" }
func (fakeEcosystem) Lock() string       { return "fake.lock" }
func (fakeEcosystem) Siblings() []string { return nil }
func (fakeEcosystem) Open(context.Context, *manifests.Snapshot, *manifests.Snapshot, manifests.Options) (manifests.Pair, error) {
	d := &manifests.Diff{Ecosystem: "fake"}
	for _, p := range []string{"a", "b", "c", "d"} {
		d.Changes = append(d.Changes, manifests.Change{Package: "acme/" + p, From: "1.0.0", To: "2.0.0", Kind: manifests.Upgrade})
		d.Units = append(d.Units, manifests.Unit{ID: p, Packages: []string{"acme/" + p}})
	}
	return fakePair{d}, nil
}

type fakePair struct{ d *manifests.Diff }

func (f fakePair) Diff() *manifests.Diff { return f.d }
func (f fakePair) Candidate(applied []string) (*manifests.Candidate, error) {
	return &manifests.Candidate{Applied: applied, Files: map[string][]byte{"fake.lock": []byte(strings.Join(applied, ","))}}, nil
}
func (f fakePair) Validate(context.Context, string, *manifests.Candidate) error { return nil }

// fakeRunner "starts" a candidate by handing its applied units to the
// oracle in the environment.
// With intact set, the instance of the n-th start (from 1) reports what
// intact(n) returns after the oracle.
type fakeRunner struct {
	starts int
	intact func(n int) error
}

func (r *fakeRunner) Start(_ context.Context, req runners.Request) (*runners.Instance, error) {
	r.starts++
	inst := &runners.Instance{Env: []string{"APPLIED=" + string(req.Candidate.Files["fake.lock"])},
		Stop: func(context.Context) error { return nil }}
	if r.intact != nil {
		n := r.starts
		inst.Intact = func(context.Context) error { return r.intact(n) }
	}
	return inst, nil
}

// fakeOracle fails a candidate with unit b applied.
type fakeOracle struct{}

func (fakeOracle) Check(_ context.Context, t oracles.Target) (*oracles.Result, error) {
	v := &oracles.Result{Verdict: oracles.Pass, Checks: []oracles.Check{{ID: "b-absent", Severity: oracles.Fatal, Status: oracles.Pass}}}
	for _, kv := range t.Env {
		if applied, ok := strings.CutPrefix(kv, "APPLIED="); ok && slices.Contains(strings.Split(applied, ","), "b") {
			v.Verdict, v.Checks[0].Status, v.Checks[0].Detail = oracles.Fail, oracles.Fail, "b is applied"
		}
	}
	return v, nil
}

// fakeHunt runs a hunt of the fake ecosystem (culprit acme/b) with runner.
func fakeHunt(t *testing.T, runner *fakeRunner) (*reports.Report, string, error) {
	t.Helper()
	dir := t.TempDir()
	for _, side := range []string{"old", "server"} {
		if err := os.MkdirAll(filepath.Join(dir, side), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, side, "fake.lock"), []byte(side), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kinds := config.Kinds{
		Runners: runners.Registry[config.Runner]{local.Kind[config.Runner]()},
		Oracles: oracles.Registry[config.Oracle]{exec.Kind[config.Oracle]()},
	}
	cfg := &config.Config{Oracle: config.Oracle{ExecOracle: exec.Config{Command: "true"}}, Search: config.Search{Drill: config.DrillNone}}
	cfg.Defaults(kinds, nil)
	runDir := filepath.Join(dir, "run")
	rep, err := Run(context.Background(), Options{
		LockOld: filepath.Join(dir, "old", "fake.lock"), LockNew: filepath.Join(dir, "server", "fake.lock"),
		Config: cfg, Ecosystems: []manifests.Ecosystem{fakeEcosystem{}}, Kinds: kinds, RunDir: runDir,
		Runner: runner, Oracle: fakeOracle{},
	})
	return rep, filepath.Join(runDir, "journal.jsonl"), err
}

// TestIntact: a server disturbed during the oracle (Intact's error) voids
// the probe, which is retried and counted, the verdict unchanged; when the
// error says the cluster itself is gone (runners.ErrSetup) the run stops
// with that error at once, no retry, its journal kept.
func TestIntact(t *testing.T) {
	runner := &fakeRunner{intact: func(n int) error {
		if n == 2 {
			return errors.New("node n1 is down")
		}
		return nil
	}}
	rep, _, err := fakeHunt(t, runner)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != "culprit" || !slices.Equal(rep.Culprits[0].Packages, []string{"acme/b"}) || rep.Summary.Retried != 1 {
		t.Fatalf("verdict %s, culprits %+v, %d retried; want culprit acme/b, 1 retried", rep.Verdict, rep.Culprits, rep.Summary.Retried)
	}

	lost := fmt.Errorf("%w: swarm cluster unavailable", runners.ErrSetup)
	runner = &fakeRunner{intact: func(n int) error {
		if n >= 3 {
			return lost
		}
		return nil
	}}
	rep, journal, err := fakeHunt(t, runner)
	if !errors.Is(err, runners.ErrSetup) || rep != nil && rep.Verdict == "culprit" {
		t.Fatalf("with the cluster lost: %v, report %+v; want the ErrSetup error and no culprit", err, rep)
	}
	if runner.starts != 3 {
		t.Errorf("%d starts, want 3: the lost cluster's probe is not retried", runner.starts)
	}
	b, rerr := os.ReadFile(journal)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if n := strings.Count(string(b), `"outcome"`); n != 2 {
		t.Errorf("the journal holds %d probes, want the 2 before the loss:\n%s", n, b)
	}
}

// TestRun runs a whole hunt with a fake ecosystem, runner and oracle: the
// culprit is named, its failing check is the evidence, the other packages
// are eliminated, and every probe is in the report and the journal.
func TestRun(t *testing.T) {
	runner := &fakeRunner{}
	rep, journalPath, err := fakeHunt(t, runner)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != "culprit" || len(rep.Culprits) != 1 || !slices.Equal(rep.Culprits[0].Packages, []string{"acme/b"}) {
		t.Fatalf("verdict %s, culprits %+v; want culprit acme/b", rep.Verdict, rep.Culprits)
	}
	if ev := rep.Culprits[0].Evidence; ev == nil || ev.Check == nil || ev.Check.ID != "b-absent" {
		t.Errorf("evidence %+v, want the failing check b-absent", ev)
	}
	var eliminated []string
	for _, e := range rep.Eliminated {
		eliminated = append(eliminated, e.Package)
	}
	if !slices.Equal(eliminated, []string{"acme/a", "acme/c", "acme/d"}) {
		t.Errorf("eliminated %v, want acme/a, acme/c, acme/d", eliminated)
	}
	if rep.Summary.Probes != len(rep.Probes) || rep.Summary.Probes != runner.starts || runner.starts < 3 {
		t.Errorf("summary %d probes, report %d, runner started %d; want them equal and at least the two baselines and a confirmation", rep.Summary.Probes, len(rep.Probes), runner.starts)
	}
	journal, err := os.ReadFile(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(journal), "\n"); lines != runner.starts+2 {
		t.Errorf("journal has %d lines, want a header, one per probe (%d) and the report", lines, runner.starts)
	}
	// The journal's last line gives the report back, markdown and all.
	again, err := ReadReport(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := reports.Markdown(&a, rep); err != nil {
		t.Fatal(err)
	}
	if err := reports.Markdown(&b, again); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("the journal's report renders differently:\n%s\nwant:\n%s", b.String(), a.String())
	}
}
