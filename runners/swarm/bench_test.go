package swarm

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/runners"
)

// BenchmarkHunt16 runs the same hunt over 16 changes (one culprit, u11)
// with two probes at a time (--parallel 2) on a swarm of one node and on
// one of two. Each probe reserves 2 CPUs, all a node has here, so that a
// node serves one probe at a time as a real server of that size would; the
// test server takes 2s to start. It reports rounds/op, probes/op and
// pushes/op; the time per op is the hunt's wall time. It takes minutes
// (-benchtime 1x); nodes=2 needs the registry binary (swarmnet.RegistryBin):
//
//	go test ./runners/swarm -run '^$' -bench Hunt16 -benchtime 1x
func BenchmarkHunt16(b *testing.B) {
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			cfg := settings{Config: runners.Config{Ready: runners.Ready{Timeout: 5 * time.Minute}}, dockerConfig: dockerConfig{CPUs: 2}}
			var r *Runner
			if nodes == 1 {
				r, _ = newRunner(b, cfg)
			} else {
				r, _ = newTwoNodes(b, cfg)
			}
			r.cfg.Ready.Timeout = 5 * time.Minute
			units := make([]string, 16)
			for i := range units {
				units[i] = fmt.Sprintf("u%02d", i)
			}
			probe := func(ctx context.Context, applied []string) bisect.Trial {
				inst, err := r.Start(ctx, runners.Request{Candidate: candidate("slow " + strings.Join(applied, " ")), Logs: io.Discard})
				if err != nil {
					return bisect.Trial{Outcome: bisect.Error, Detail: err.Error()}
				}
				defer inst.Stop(context.WithoutCancel(ctx))
				resp, err := http.Get(inst.BaseURL + "/lock")
				if err != nil {
					return bisect.Trial{Outcome: bisect.Error, Detail: err.Error()}
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if strings.Contains(string(body), "u11") {
					return bisect.Trial{Outcome: bisect.Bad}
				}
				return bisect.Trial{Outcome: bisect.Good}
			}
			var rounds, probes int
			pushes0 := r.Pushes.Load()
			b.ResetTimer()
			for range b.N {
				res, err := bisect.Run(context.Background(), bisect.Config{Units: units, Trial: probe, Workers: 2})
				if err != nil {
					b.Fatal(err)
				}
				if res.Verdict != bisect.Culprit || len(res.Culprits) != 1 || res.Culprits[0].Units[0] != "u11" {
					b.Fatalf("verdict %s %v, want culprit u11", res.Verdict, res.Culprits)
				}
				rounds += res.Rounds
				probes += len(res.Probes)
			}
			b.StopTimer()
			b.ReportMetric(float64(rounds)/float64(b.N), "rounds/op")
			b.ReportMetric(float64(probes)/float64(b.N), "probes/op")
			b.ReportMetric(float64(r.Pushes.Load()-pushes0)/float64(b.N), "pushes/op")
		})
	}
}
