package docker

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/runners"
)

// BenchmarkProbe compares one probe through the runner with the same work
// done by the docker CLI (docker run -d -p 127.0.0.1::PORT, docker port,
// the same readiness polling, docker rm -f), on the real engine. Both
// images are built once before timing: build and oracle time are excluded,
// and so is the runner's cache check (Instance.BuildSeconds, which tars the
// context and looks the tag up). overhead-% is the runner's extra time
// relative to the CLI's.
func BenchmarkProbe(b *testing.B) {
	needDocker(b)
	testenv.NeedTools(b, "docker")
	ctx := context.Background()
	dir := project(b, scratchDockerfile, nil)
	r := newRunner(b, dir, testConfig(), Options{})
	probe := runners.Request{Candidate: candidate("bench 1.0\n"), Logs: io.Discard}
	warm, err := r.Start(ctx, probe)
	if err != nil {
		b.Fatal(err)
	}
	warm.Stop(ctx)

	tag := r.repo + ":cli"
	if out, err := exec.Command("docker", "build", "-q", "-t", tag, dir).CombinedOutput(); err != nil {
		b.Fatalf("docker build: %v\n%s", err, out)
	}

	var runner, cli, cache time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		inst, err := r.Start(ctx, probe)
		if err != nil {
			b.Fatal(err)
		}
		if err := inst.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		build := time.Duration(inst.BuildSeconds * float64(time.Second))
		runner += time.Since(start) - build
		cache += build

		start = time.Now()
		if err := cliProbe(ctx, tag); err != nil {
			b.Fatal(err)
		}
		cli += time.Since(start)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(runner.Milliseconds())/n, "runner-ms/op")
	b.ReportMetric(float64(cli.Milliseconds())/n, "cli-ms/op")
	b.ReportMetric(float64(cache.Milliseconds())/n, "cachecheck-ms/op")
	b.ReportMetric(100*(runner.Seconds()-cli.Seconds())/cli.Seconds(), "overhead-%")
}

// cliProbe runs, waits for and removes one container with the docker CLI.
func cliProbe(ctx context.Context, tag string) error {
	out, err := exec.CommandContext(ctx, "docker", "run", "-d", "-p", "127.0.0.1::8080", "-e", "PORT=8080", tag).Output()
	if err != nil {
		return err
	}
	id := strings.TrimSpace(string(out))
	defer exec.Command("docker", "rm", "-f", id).Run()
	out, err = exec.CommandContext(ctx, "docker", "port", id, "8080/tcp").Output()
	if err != nil {
		return err
	}
	addr := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	interval := 10 * time.Millisecond
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 400 {
				return exec.Command("docker", "rm", "-f", id).Run()
			}
		}
		time.Sleep(interval)
		interval = min(interval*2, 100*time.Millisecond)
	}
	return context.DeadlineExceeded
}
