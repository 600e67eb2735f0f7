package hunt

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/reports"
)

// commands fills in the commands the ecosystem names to roll each culprit
// back: a checked one where it has one, its usual ones in any case.
func commands(ctx context.Context, set manifests.Pair, rep *reports.Report, log *slog.Logger) {
	rp, checks := set.(manifests.Reproducer)
	rb, rolls := set.(manifests.Rollbacker)
	for i := range rep.Culprits {
		cu := &rep.Culprits[i]
		if rolls {
			cu.Rollback = rb.Rollback(cu.Changes)
		}
		if !checks {
			continue
		}
		argv, err := rp.Reproduce(ctx, cu.Units)
		if err != nil {
			log.Warn("no checked command rolls back only the culprit; the report names the ecosystem's usual one", "culprit", cu.Packages, "err", err)
			continue
		}
		cu.Reproduce = quote.Shell(argv...)
	}
}

// repositories are the repositories the ecosystem derives from the names
// of the changed packages (nil when it derives none).
func repositories(set manifests.Pair, changes []manifests.Change) map[string]string {
	so, ok := set.(manifests.Sourcer)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, ch := range changes {
		if u := so.Source(ch.Package); u != "" {
			out[ch.Package] = u
		}
	}
	return out
}

// fill copies the search's result into the report.
func fill(rep *reports.Report, d *manifests.Diff, res *bisect.Result, elapsed time.Duration) {
	rep.Verdict = string(res.Verdict)
	rep.Detail = res.Detail
	if res.Verdict == bisect.OldUntestable || res.Verdict == bisect.NewUntestable {
		rep.Detail = baselineDetail(res)
	}
	rep.Summary.Rounds = res.Rounds
	rep.Summary.Seconds = elapsed.Seconds()
	for _, r := range res.Probes {
		rep.Probes = append(rep.Probes, reportProbe(d, r))
		if !r.Replayed {
			rep.Summary.Probes++
			if r.Speculative {
				rep.Summary.Speculative++
			}
		}
	}
	for _, set := range res.Culprits {
		cu := reports.Culprit{Units: set.Units, Packages: packagesOf(d, set.Units), Untestable: packagesOf(d, set.Untestable)}
		for _, pkg := range cu.Packages {
			cu.Changes = append(cu.Changes, *d.Change(pkg))
		}
		cu.Evidence = evidence(set.Confirm)
		rep.Culprits = append(rep.Culprits, cu)
	}
	ids := make([]string, 0, len(res.Innocent))
	for id := range res.Innocent {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, pkg := range packagesOf(d, []string{id}) {
			rep.Eliminated = append(rep.Eliminated, reports.Eliminated{Package: pkg, Why: res.Innocent[id]})
		}
	}
	sort.Slice(rep.Eliminated, func(i, j int) bool { return rep.Eliminated[i].Package < rep.Eliminated[j].Package })
	rep.Untestable = packagesOf(d, res.Untestable)
	for _, r := range res.Evidence {
		rep.Flaky = append(rep.Flaky, reportProbe(d, r))
	}
	if res.Verdict == bisect.OldFails {
		for _, r := range res.Probes {
			if len(r.Applied) == 0 {
				var pd probeData
				_ = json.Unmarshal(r.Data, &pd)
				rep.OldFailures = pd.Failures
				break
			}
		}
	}
}

// baselineDetail says why a baseline could not be judged: the probe's own
// detail (the build's or the server's last output, the static check's
// reason, the oracle's error), and for a new lock whose build failed how to
// bisect that failure instead. The verdict's sentence says the rest.
func baselineDetail(res *bisect.Result) string {
	purpose := "baseline-old"
	if res.Verdict == bisect.NewUntestable {
		purpose = "baseline-new"
	}
	for _, r := range res.Probes {
		if r.Purpose != purpose {
			continue
		}
		detail := r.Detail
		if detail == "" {
			detail = res.Detail
		}
		var pd probeData
		_ = json.Unmarshal(r.Data, &pd)
		if pd.BuildFailed && res.Verdict == bisect.NewUntestable {
			detail += "\nIf this build failure is the regression, bisect it: run again with --build-failure bad (search.build_failure: bad)."
		}
		return detail
	}
	return res.Detail
}

func reportProbe(d *manifests.Diff, r bisect.Record) reports.Probe {
	var pd probeData
	_ = json.Unmarshal(r.Data, &pd)
	return reports.Probe{
		Round: r.Round, Applied: packagesOf(d, r.Applied), Outcome: string(r.Outcome),
		Candidate: short(pd.Candidate), Seconds: r.Seconds, BuildSeconds: pd.Build, OracleSeconds: pd.Oracle,
		Cached: pd.Cached, Node: pd.Node, Replayed: r.Replayed, Speculative: r.Speculative, FailedCheck: r.FailedCheck, Detail: r.Detail,
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// evidence is the failing check and log tail of the probe that confirmed
// the culprit set alone is bad.
func evidence(confirm bisect.Record) *reports.Evidence {
	if confirm.Outcome != bisect.Bad {
		return nil
	}
	var pd probeData
	_ = json.Unmarshal(confirm.Data, &pd)
	ev := &reports.Evidence{LogTail: tail(pd.Log, 20), Output: pd.Output}
	if len(pd.Failures) > 0 {
		ev.Check = &pd.Failures[0]
	}
	return ev
}

// tail returns the last n lines of a file ("" if it cannot be read).
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
