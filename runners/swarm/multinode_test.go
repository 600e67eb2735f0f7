package swarm

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/internal/fixtures/swarmnet"
	"github.com/lockbisect/lockbisect/runners"
)

// newTwoNodes starts a manager, a worker and a registry (where there is a
// registry binary: swarmnet.MultiNode), and a runner that pushes to the
// registry.
func newTwoNodes(t testing.TB, cfg settings) (*Runner, *swarmnet.Cluster) {
	t.Helper()
	return newCluster(t, cfg, swarmnet.MultiNode(t))
}

// newCluster starts the cluster o describes (with a registry) and a runner
// on its first manager that pushes to the registry.
func newCluster(t testing.TB, cfg settings, o swarmnet.Options) (*Runner, *swarmnet.Cluster) {
	t.Helper()
	c := swarmnet.Start(t, o)
	t.Setenv("DOCKER_HOST", c.Manager.Host)
	cfg.Kind, cfg.Port = "swarm", 8080
	cfg.Ready = runners.Ready{Path: "/healthz", Timeout: 60 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := New(ctx, cfg.Config, cfg.dockerConfig, Config{Registry: c.Registry}, project(t), Options{Project: "swarmtest"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r, c
}

// startBoth starts two candidates at once: the scheduler spreads them, one
// per node.
func startBoth(t *testing.T, ctx context.Context, r *Runner) [2]*runners.Instance {
	t.Helper()
	var insts [2]*runners.Instance
	errs := make(chan error, 2)
	for i, lock := range []string{"v1", "v2"} {
		go func() {
			inst, err := r.Start(ctx, runners.Request{Candidate: candidate(lock), Logs: io.Discard})
			insts[i] = inst
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return insts
}

// TestTwoNodes: two probes at once run on both nodes, each image pushed
// once to the registry, and the worker pulls it from there.
func TestTwoNodes(t *testing.T) {
	r, c := newTwoNodes(t, settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	insts := startBoth(t, ctx, r)
	nodes := map[string]bool{insts[0].Node: true, insts[1].Node: true}
	if !nodes[c.Manager.Name] || !nodes[c.Workers[0].Name] {
		t.Errorf("probes ran on %v, want both %s and %s", nodes, c.Manager.Name, c.Workers[0].Name)
	}
	if n := r.Pushes.Load(); n != 2 {
		t.Errorf("%d images pushed, want 2", n)
	}
	for _, inst := range insts {
		if err := inst.Stop(ctx); err != nil {
			t.Error(err)
		}
	}
}

// TestNodeLoss: the worker's daemon is killed while its probe runs; the
// probe's Intact reports it (the verdict would be void, the probe
// retried), and the next probe runs on the node that is left.
func TestNodeLoss(t *testing.T) {
	r, c := newTwoNodes(t, settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	insts := startBoth(t, ctx, r)
	var lost *runners.Instance
	for _, inst := range insts {
		if inst.Node == c.Workers[0].Name {
			lost = inst
		}
	}
	if lost == nil {
		t.Fatalf("no probe on the worker: %s, %s", insts[0].Node, insts[1].Node)
	}
	c.Kill(c.Workers[0])
	var err error
	for i := 0; i < 60 && err == nil; i++ {
		time.Sleep(500 * time.Millisecond)
		err = lost.Intact(ctx)
	}
	if err == nil {
		t.Fatal("Intact still nil 30s after the worker's daemon was killed")
	}
	t.Logf("Intact after the kill: %v", err)
	inst, err := r.Start(ctx, runners.Request{Candidate: candidate("v3"), Logs: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Node != c.Manager.Name {
		t.Errorf("after the worker went down, a probe ran on %s", inst.Node)
	}
	for _, inst := range append(insts[:], inst) {
		inst.Stop(ctx)
	}
	if err := r.Close(ctx); err != nil {
		t.Errorf("Close with a node down: %v", err)
	}
}

// TestQuorumLost: on a swarm of three managers, two are stopped; once the
// one left has no leader, Start stops the run (runners.ErrSetup,
// ErrCluster: exit 1, resumable) instead of retrying or judging. With the
// two back, the same runner serves a probe again: the run can go on.
func TestQuorumLost(t *testing.T) {
	o := swarmnet.MultiNode(t)
	o.Managers, o.Workers = 2, 0
	r, c := newCluster(t, settings{}, o)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.Stop(c.Managers[0])
	c.Stop(c.Managers[1])
	cli, err := client.NewClientWithOpts(client.WithHost(c.Manager.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for i := 0; ; i++ {
		lctx, lcancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := cli.NodeList(lctx, swarm.NodeListOptions{})
		lcancel()
		if err != nil {
			t.Logf("the manager left, after %d polls: %v", i, err)
			break
		}
		if i == 120 {
			t.Fatal("the manager left still has a leader 60s after two of three managers stopped")
		}
		time.Sleep(500 * time.Millisecond)
	}
	_, err = r.Start(ctx, runners.Request{Candidate: candidate("v1"), Logs: io.Discard})
	if !errors.Is(err, runners.ErrSetup) || !errors.Is(err, ErrCluster) {
		t.Fatalf("Start without quorum: %v, want ErrSetup and ErrCluster", err)
	}
	t.Logf("Start without quorum: %v", err)
	for _, m := range c.Managers {
		if err := c.Restart(m); err != nil {
			t.Fatal(err)
		}
	}
	inst, err := r.Start(ctx, runners.Request{Candidate: candidate("v2"), Logs: io.Discard})
	if err != nil {
		t.Fatalf("Start with quorum back: %v", err)
	}
	if err := inst.Stop(ctx); err != nil {
		t.Error(err)
	}
}
