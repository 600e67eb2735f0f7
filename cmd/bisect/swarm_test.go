package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lockbisect/lockbisect/internal/fixtures/swarmnet"
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
// and a registry of the test's own. It kills the worker's daemon mid-run,
// which is timing-dependent on a shared machine: it runs only with
// BISECT_SWARM_MULTINODE=1 (and BISECT_REGISTRY_BIN or docker-registry on
// PATH). $SWARM_WORKER is the worker's host name, $SWARM_REGISTRY the
// registry; killworker waits until a probe runs on the worker, then kills
// its daemon.
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
			"killworker": func(ts *testscript.TestScript, neg bool, args []string) {
				cli, err := client.NewClientWithOpts(client.WithHost(c.Manager.Host), client.WithAPIVersionNegotiation())
				ts.Check(err)
				defer cli.Close()
				for i := 0; ; i++ {
					if i == 6000 {
						ts.Fatalf("no probe ran on the worker within 10 minutes")
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					n, _, nerr := cli.NodeInspectWithRaw(ctx, w.Name)
					tasks, terr := cli.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("desired-state", "running"))})
					cancel()
					if nerr == nil && terr == nil && slices.ContainsFunc(tasks, func(t swarm.Task) bool {
						return t.NodeID == n.ID && t.Status.State == swarm.TaskStateRunning
					}) {
						c.Kill(w)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			},
		},
		RequireExplicitExec: true,
	})
}
