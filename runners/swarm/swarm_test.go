package swarm

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/internal/fixtures/swarmnet"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/docker"
	"github.com/lockbisect/lockbisect/runners/runnertest"
)

// serverSource answers /healthz and /lock (the candidate's deps.lock),
// exits at once when its lock says "crash", and starts 2s late when it says
// "slow".
const serverSource = `package main

import (
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	lock, _ := os.ReadFile("/deps.lock")
	if strings.Contains(string(lock), "slow") {
		time.Sleep(2 * time.Second) // a server that takes a while to start
	}
	if strings.Contains(string(lock), "crash") {
		os.Stderr.WriteString("fatal: incompatible dependency\n")
		os.Exit(3)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	http.HandleFunc("/lock", func(w http.ResponseWriter, r *http.Request) { w.Write(lock) })
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
`

// project writes a project whose image is the static test server FROM
// scratch: no base image is needed on the test's swarm.
func project(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(serverSource), 0o644)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module server\n\ngo 1.22\n"), 0o644)
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "server"), ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the test server: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("src\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY server /server\nCOPY deps.lock /deps.lock\nENV PORT=8080\nCMD [\"/server\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "deps.lock"), []byte("base\n"), 0o644)
	return dir
}

func candidate(lock string) *manifests.Candidate {
	return &manifests.Candidate{Files: map[string][]byte{"deps.lock": []byte(lock + "\n")}}
}

// newRunner starts the test's swarm and a runner on it.
func newRunner(t testing.TB, cfg settings) (*Runner, *swarmnet.Cluster) {
	t.Helper()
	c := swarmnet.Start(t, swarmnet.Options{})
	t.Setenv("DOCKER_HOST", c.Manager.Host)
	cfg.Kind, cfg.Port = "swarm", 8080
	if cfg.Ready.Timeout == 0 {
		cfg.Ready.Timeout = 30 * time.Second
	}
	cfg.Ready.Path = "/healthz"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := New(ctx, cfg.Config, cfg.dockerConfig, Config{}, project(t), Options{Project: "swarmtest"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r, c
}

// TestContract runs the contract every runner keeps (runners/runnertest)
// on a one-node swarm: the candidate is an image built on the manager and
// served as a service, and nothing is left of it (no service; once the
// runner is closed, no container or network of the tool). On the same
// swarm, a served candidate names its node and is intact while it runs.
func TestContract(t *testing.T) {
	c := swarmnet.Start(t, swarmnet.Options{})
	t.Setenv("DOCKER_HOST", c.Manager.Host)
	newSwarmRunner := func(t *testing.T, cfg runners.Config, project string) *Runner {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		r, err := New(ctx, cfg, dockerConfig{Port: 8080}, Config{}, project, Options{Project: "swarmtest"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	runnertest.Run(t, runnertest.Harness{
		Project: func(t *testing.T, dir string) {
			df := "FROM scratch\nCOPY server /server\nCOPY deps.lock /deps.lock\nRUN [\"/server\", \"build\"]\nCMD [\"/server\"]\n"
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		New: func(t *testing.T, cfg runners.Config, project string) runnertest.Runner {
			r := newSwarmRunner(t, cfg, project)
			return runnertest.Runner{
				Runner:  r,
				Release: r.Close,
				Leftovers: func(t *testing.T, _ string, released bool) []string {
					var left []string
					if n := services(t, r.cli); n > 0 {
						left = append(left, strconv.Itoa(n)+" services")
					}
					if released {
						if n := leftovers(t, c); n > 0 {
							left = append(left, strconv.Itoa(n)+" containers or networks")
						}
					}
					return left
				},
			}
		},
	})
	t.Run("served from its node", func(t *testing.T) {
		r := newSwarmRunner(t, runners.Config{Ready: runners.Ready{Path: "/healthz", Timeout: 30 * time.Second}}, project(t))
		defer r.Close(context.Background())
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		inst, err := r.Start(ctx, runners.Request{Candidate: candidate("v2"), Logs: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Stop(ctx)
		if inst.Node != c.Manager.Name || inst.Host != c.Manager.Addr {
			t.Errorf("served on %s at %s, want %s at %s", inst.Node, inst.Host, c.Manager.Name, c.Manager.Addr)
		}
		if err := inst.Intact(ctx); err != nil {
			t.Errorf("Intact of a running server: %v", err)
		}
	})
}

// TestUnplaceable: a probe that reserves more CPUs than any node has is
// untestable after runner.ready.timeout, with the scheduler's reason.
func TestUnplaceable(t *testing.T) {
	r, _ := newRunner(t, settings{Config: runners.Config{Ready: runners.Ready{Timeout: 3 * time.Second}}, dockerConfig: dockerConfig{CPUs: 512}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := r.Start(ctx, runners.Request{Candidate: candidate("v1"), Logs: io.Discard})
	if !errors.Is(err, runners.ErrUntestable) || !strings.Contains(err.Error(), "no suitable node") {
		t.Fatalf("unplaceable probe: %v, want untestable: no suitable node", err)
	}
	if n := services(t, r.cli); n != 0 {
		t.Errorf("%d services of the tool left", n)
	}
}

// TestClean: the service and network of a dead run go; a live run's stay.
func TestClean(t *testing.T) {
	c := swarmnet.Start(t, swarmnet.Options{})
	cli, err := client.NewClientWithOpts(client.WithHost(c.Manager.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	labels := func(run string, pid int) map[string]string {
		return map[string]string{docker.LabelTool: "bisect", docker.LabelRun: run, docker.LabelPID: strconv.Itoa(pid), docker.LabelHost: host}
	}
	for _, run := range []struct {
		name string
		pid  int
	}{{"dead", dead.Process.Pid}, {"live", os.Getpid()}} {
		l := labels(run.name, run.pid)
		n, err := cli.NetworkCreate(ctx, "lockbisect-swarm-"+run.name, network.CreateOptions{Driver: "overlay", Attachable: true, Labels: l})
		if err != nil {
			t.Fatal(err)
		}
		one := uint64(1)
		_, err = cli.ServiceCreate(ctx, swarm.ServiceSpec{
			Annotations:  swarm.Annotations{Name: "lockbisect-" + run.name, Labels: l},
			TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "lockbisect/none:0", Labels: l}, Networks: []swarm.NetworkAttachmentConfig{{Target: n.ID}}},
			Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}},
		}, swarm.ServiceCreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	removed, err := Clean(ctx, cli, docker.CleanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(removed, "\n")
	for _, want := range []string{"service lockbisect-dead", "network lockbisect-swarm-dead"} {
		if !strings.Contains(got, want) {
			t.Errorf("removed:\n%s\nwant %s", got, want)
		}
	}
	if strings.Contains(got, "live") {
		t.Errorf("removed a live run's objects:\n%s", got)
	}
	svcs, err := cli.ServiceList(ctx, swarm.ServiceListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].Spec.Name != "lockbisect-live" {
		t.Errorf("services left: %v, want the live run's alone", svcs)
	}
}

// services counts the tool's services on the swarm.
func services(t *testing.T, cli *client.Client) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svcs, err := cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelTool+"=bisect"))})
	if err != nil {
		t.Fatal(err)
	}
	return len(svcs)
}

// leftovers counts the tool's containers and networks on the manager.
func leftovers(t *testing.T, c *swarmnet.Cluster) int {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.WithHost(c.Manager.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := filters.NewArgs(filters.Arg("label", docker.LabelTool+"=bisect"))
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs) + len(ns)
}

// TestManagerLost: with the manager's daemon gone, Start stops the run
// (runners.ErrSetup, ErrCluster) instead of retrying or judging.
func TestManagerLost(t *testing.T) {
	r, c := newRunner(t, settings{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c.Kill(c.Manager)
	_, err := r.Start(ctx, runners.Request{Candidate: candidate("v1"), Logs: io.Discard})
	if !errors.Is(err, runners.ErrSetup) || !errors.Is(err, ErrCluster) {
		t.Fatalf("Start with the manager gone: %v, want ErrSetup and ErrCluster", err)
	}
}
