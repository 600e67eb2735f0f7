package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lockbisect/lockbisect/internal/fixtures/swarmnet"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/runners/docker"
)

// TestSwarmScripts runs the scripts of testdata/swarm against a real
// one-node swarm of the test's own (an extra dockerd in a network
// namespace: the machine's daemon is untouched), loaded with the examples'
// base images. The scripts run one after the other, since they look at the
// whole swarm and one of them stops its manager: $DOCKER_HOST names the
// manager, $SWARM_MANAGER its host name; "manager stop" stops its daemon
// (SIGTERM), "manager restart" starts it again on the same data root and
// waits for the swarm's leader. It skips where the cluster cannot run,
// except with CI=true.
func TestSwarmScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := dockerReady(repo); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the swarm scripts cannot run (run scripts/images.sh for the base images): %v", err)
		}
		t.Skipf("no docker engine, or not the base images of scripts/images.sh: %v", err)
	}
	c := swarmnet.Start(t, swarmnet.Options{Images: []string{"lockbisect/go:1.26.8", "lockbisect/php:bookworm"}})
	files, err := filepath.Glob("testdata/swarm/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/swarm: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Files: []string{f},
				Setup: scriptSetup(repo, map[string]string{"DOCKER_HOST": c.Manager.Host, "SWARM_MANAGER": c.Manager.Name}),
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"validate-report": cmdValidateReport,
					"manager": func(ts *testscript.TestScript, neg bool, args []string) {
						switch {
						case neg || len(args) != 1:
							ts.Fatalf("usage: manager stop|restart")
						case args[0] == "stop":
							c.Stop(c.Manager)
						case args[0] == "restart":
							ts.Check(c.Restart(c.Manager))
						default:
							ts.Fatalf("usage: manager stop|restart")
						}
					},
				},
				RequireExplicitExec: true,
			})
		})
	}
}

// TestSwarmMultiNode runs testdata/swarm-multinode on a manager, a worker
// and a registry of the test's own (it needs the registry binary:
// swarmnet.MultiNode). $SWARM_WORKER is the worker's host name,
// $SWARM_REGISTRY the registry; killworker waits (at most 10 minutes) until
// the worker's engine starts a container of a probe, then kills the
// worker's daemon: the kill lands while that probe is served, whatever the
// machine's load; retried-elsewhere checks that the probe lost there was
// answered on the manager.
func TestSwarmMultiNode(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	o := swarmnet.MultiNode(t)
	if err := dockerReady(repo); err != nil {
		t.Fatalf("the swarm scripts need the base images of scripts/images.sh: %v", err)
	}
	o.Images = []string{"lockbisect/go:1.26.8"}
	c := swarmnet.Start(t, o)
	w := c.Workers[0]
	testscript.Run(t, testscript.Params{
		Dir: "testdata/swarm-multinode",
		Setup: scriptSetup(repo, map[string]string{"DOCKER_HOST": c.Manager.Host, "SWARM_MANAGER": c.Manager.Name,
			"SWARM_WORKER": w.Name, "SWARM_REGISTRY": c.Registry}),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"validate-report": cmdValidateReport,
			"retried-elsewhere": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: retried-elsewhere STDERR REPORT")
				}
				retriedElsewhere(ts, ts.ReadFile(args[0]), ts.ReadFile(args[1]), w.Name, c.Manager.Name)
			},
			"killworker": func(ts *testscript.TestScript, neg bool, args []string) {
				// The worker's own engine says when it starts a container of
				// the tool: its events come as a stream, so that none is
				// missed however short the probe, and the kill lands while
				// that probe is being served. Only containers started from
				// now on count (the script starts the run just before).
				cli, err := client.NewClientWithOpts(client.WithHost(w.Host), client.WithAPIVersionNegotiation())
				ts.Check(err)
				defer cli.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				now := time.Now()
				msgs, errs := cli.Events(ctx, events.ListOptions{
					Since: fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond()),
					Filters: filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)), filters.Arg("event", string(events.ActionStart)),
						filters.Arg("label", docker.LabelTool+"=bisect")),
				})
				select {
				case m := <-msgs:
					c.Kill(w)
					ts.Logf("killed the worker's daemon when container %.12s of service %s started", m.Actor.ID, m.Actor.Attributes["com.docker.swarm.service.name"])
				case err := <-errs:
					ts.Fatalf("no container of a probe started on the worker: %v", err)
				}
			},
		},
		RequireExplicitExec: true,
	})
}

// retriedElsewhere checks that a probe attempt was lost with the worker
// (a "probe to be retried" line of the run's log naming it) and that every
// probe so retried was answered on the manager: a retry lands on another
// node.
func retriedElsewhere(ts *testscript.TestScript, stderr, report, worker, manager string) {
	var rep reports.Report
	ts.Check(json.Unmarshal([]byte(report), &rep))
	re := regexp.MustCompile(`msg="probe to be retried" candidate=([0-9a-f]+)`)
	lost := 0
	for _, line := range strings.Split(stderr, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil || !strings.Contains(line, worker) {
			continue
		}
		lost++
		// The report names a candidate by the start of its hash.
		i := slices.IndexFunc(rep.Probes, func(p reports.Probe) bool { return p.Candidate != "" && strings.HasPrefix(m[1], p.Candidate) })
		if i < 0 {
			ts.Fatalf("no probe of candidate %s, retried after: %s", m[1], line)
		}
		if p := rep.Probes[i]; p.Node != manager {
			ts.Fatalf("candidate %s, lost on %s, was answered on %q, want %s", m[1], worker, p.Node, manager)
		}
		ts.Logf("candidate %s: lost on %s, answered on %s", m[1], worker, manager)
	}
	if lost == 0 {
		ts.Fatalf("no probe attempt lost on %s in the run's log", worker)
	}
}
