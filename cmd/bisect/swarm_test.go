package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lockbisect/lockbisect/internal/fixtures/swarmnet"
)

// TestSwarmScripts runs the scripts of testdata/swarm against a real
// one-node swarm of the test's own (an extra dockerd in a network
// namespace: the machine's daemon is untouched), loaded with the go
// example's base image. $DOCKER_HOST names its manager, $SWARM_MANAGER its
// host name. It skips where the cluster cannot run, except with CI=true.
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
	c := swarmnet.Start(t, swarmnet.Options{Images: []string{"lockbisect/go:1.26.8"}})
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/swarm",
		Setup: scriptSetup(repo, map[string]string{"DOCKER_HOST": c.Manager.Host, "SWARM_MANAGER": c.Manager.Name}),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"validate-report": cmdValidateReport,
		},
		RequireExplicitExec: true,
	})
}
