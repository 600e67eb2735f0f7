// Package runnertest is the contract every runner keeps, as a test suite
// each runner package runs against its real backend (restic's style): Run
// starts candidates of one small test server through the runner and checks
// what the hunt relies on, whatever the runner:
//
//   - a candidate is built and started, is ready, its URL answers with the
//     candidate's files, and its output reaches Request.Logs;
//   - with Request.WorkDir, Instance.Dir holds the project with the
//     candidate's files (where an exec oracle runs), gone after Stop;
//   - parallel candidates get their own URLs;
//   - Stop leaves nothing of the candidate (no process, container,
//     service, work directory), also with a cancelled context, and may be
//     called twice; the runner's release leaves nothing of the run;
//   - a build that runs and fails is runners.ErrBuild (and ErrUntestable)
//     quoting the tail of the failing output; a build that outlives
//     runner.build_timeout is untestable, not a failed build;
//   - a Request.Validate error makes the candidate untestable before
//     anything is built;
//   - a server that exits before it is ready, or is not ready within
//     runner.ready.timeout, is untestable, not a failed build;
//   - a context cancelled during Start is context.Canceled (never a
//     verdict) and leaves nothing.
//
// Runners do not redact: Request.Logs is the hunt's redacting writer
// (internal/hunt), so redaction is not part of this contract.
//
// The candidate's only file is deps.lock; the test server's behaviour
// follows its content (see the constants), at build time as when served.
package runnertest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/runners"
)

// Locks: the content of deps.lock that makes the test server misbehave.
const (
	// Broken makes `server build` print 60 lines (line1 … line60) and
	// exit 7.
	Broken = "broken"
	// Hang makes `server build` sleep for ten minutes.
	Hang = "hang"
	// Crash makes the server print "fatal: incompatible dependency" and
	// exit 3 before it listens.
	Crash = "crash"
	// Unready makes the server answer /healthz with 503 forever.
	Unready = "unready"
)

// Build is the command that builds the test server's candidate (its
// argv: the server's own build mode). A runner that builds images runs it
// as an exec-form RUN step, which needs no shell, so that the image can be
// FROM scratch.
var Build = []string{"./server", "build"}

// serverSource is the test server. `server build` checks the candidate's
// deps.lock next to the binary; `server` serves /healthz and /lock on
// $HOST:$PORT, after printing its lock, pid and process group.
const serverSource = `package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	lock, _ := os.ReadFile(filepath.Join(filepath.Dir(os.Args[0]), "deps.lock"))
	has := func(s string) bool { return strings.Contains(string(lock), s) }
	if len(os.Args) > 1 && os.Args[1] == "build" {
		fmt.Printf("building pid=%d pgid=%d\n", os.Getpid(), syscall.Getpgrp())
		switch {
		case has("broken"):
			for i := 1; i <= 60; i++ {
				fmt.Printf("line%d\n", i)
			}
			os.Exit(7)
		case has("hang"):
			fmt.Println("building slowly")
			time.Sleep(10 * time.Minute)
		}
		fmt.Println("built")
		return
	}
	fmt.Printf("server starting with lock %q pid=%d pgid=%d\n", strings.TrimSpace(string(lock)), os.Getpid(), syscall.Getpgrp())
	if has("crash") {
		fmt.Fprintln(os.Stderr, "fatal: incompatible dependency")
		os.Exit(3)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if has("unready") {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	http.HandleFunc("/lock", func(w http.ResponseWriter, r *http.Request) { w.Write(lock) })
	if err := http.ListenAndServe(os.Getenv("HOST")+":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// server is the test server, built once per test binary, statically, so
// that a FROM scratch image can run it.
func server(t testing.TB) []byte { return testenv.StaticBinary(t, serverSource) }

// Harness is what a runner's test gives the suite.
type Harness struct {
	// Project adds to the project directory (which holds the static test
	// server as server and a deps.lock) what the runner builds from: a
	// Dockerfile that runs Build and serves the server, for instance.
	Project func(t *testing.T, dir string)
	// New returns the runner of project with the suite's settings c
	// (Build, Start, Env, Ready, BuildTimeout; the harness adds its own,
	// such as a container port).
	New func(t *testing.T, c runners.Config, project string) Runner
	// Start is runner.start for the test server ("" where the image's own
	// command serves it); Build runs as runner.build where the runner runs
	// build commands.
	Start string
}

// Runner is a runner the harness made, with what the suite asks of it.
type Runner struct {
	runners.Runner
	// Release frees what the runner holds for the whole run.
	Release func(context.Context) error
	// Leftovers lists what the runner left of what it made: after a
	// candidate's Stop (or failed Start), what it made for candidates
	// (processes, containers, services, work directories); once released
	// (released), also what it made for the run. logs is the candidates'
	// output, where the test server printed its pid and process group.
	Leftovers func(t *testing.T, logs string, released bool) []string
}

// candidate is the candidate whose deps.lock says lock.
func candidate(lock string) *manifests.Candidate {
	return &manifests.Candidate{Applied: []string{"u"}, Files: map[string][]byte{"deps.lock": []byte(lock + "\n")}}
}

// project writes the test project and returns its directory.
func project(t *testing.T, h Harness) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "server"), server(t), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deps.lock"), []byte("project\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h.Project != nil {
		h.Project(t, dir)
	}
	return dir
}

// config is the suite's runner settings: the test server on $HOST:$PORT,
// ready at /healthz.
func config(h Harness) runners.Config {
	return runners.Config{
		Build:        []string{Build[0] + " " + Build[1]},
		Start:        h.Start,
		Env:          map[string]string{"PORT": "{{.Port}}", "HOST": "{{.Host}}"},
		Ready:        runners.Ready{Path: "/healthz", Timeout: 60 * time.Second},
		BuildTimeout: 2 * time.Minute,
	}
}

// Run runs the contract against the runner h makes.
func Run(t *testing.T, h Harness) {
	proj := project(t, h)
	r := newRunner(t, h, config(h), proj)
	// What every candidate printed, for the leftovers of the whole run.
	var all testenv.Buffer
	start := func(t *testing.T, ctx context.Context, r Runner, lock string, validate func(context.Context, string) error) (*runners.Instance, string, error) {
		t.Helper()
		logs := &testenv.Buffer{}
		inst, err := r.Start(ctx, runners.Request{Candidate: candidate(lock), Logs: io.MultiWriter(logs, &all), Validate: validate})
		if err == nil {
			t.Cleanup(func() { inst.Stop(context.WithoutCancel(ctx)) })
		}
		return inst, logs.String(), err
	}
	nothingLeft := func(t *testing.T, r Runner, logs string, released bool) {
		t.Helper()
		if left := r.Leftovers(t, logs, released); len(left) > 0 {
			t.Errorf("left behind: %s", strings.Join(left, ", "))
		}
	}
	untestable := func(t *testing.T, err error, build bool, want ...string) {
		t.Helper()
		switch {
		case err == nil:
			t.Fatal("Start succeeded, want an untestable candidate")
		case !errors.Is(err, runners.ErrUntestable):
			t.Errorf("error %v does not wrap runners.ErrUntestable", err)
		case errors.Is(err, runners.ErrBuild) != build:
			t.Errorf("error %v: wraps runners.ErrBuild %v, want %v", err, !build, build)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error lacks %q:\n%v", w, err)
			}
		}
	}

	t.Run("serves", func(t *testing.T) {
		ctx := t.Context()
		inst, logs, err := start(t, ctx, r, "v1", nil)
		if err != nil {
			t.Fatalf("Start: %v\nlogs:\n%s", err, logs)
		}
		if inst.Port == 0 || inst.BaseURL != "http://"+net.JoinHostPort(inst.Host, strconv.Itoa(inst.Port)) {
			t.Errorf("BaseURL %q, Host %q, Port %d: want http://HOST:PORT", inst.BaseURL, inst.Host, inst.Port)
		}
		if code, body := get(t, inst.BaseURL+"/lock"); code != http.StatusOK || body != "v1\n" {
			t.Errorf("GET /lock = %d %q, want the candidate's deps.lock", code, body)
		}
		if err := inst.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if err := inst.Stop(ctx); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		if !strings.Contains(all.String(), `server starting with lock "v1"`) {
			t.Errorf("the server's output did not reach Request.Logs:\n%s", all.String())
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("work directory", func(t *testing.T) {
		ctx := t.Context()
		inst, err := r.Start(ctx, runners.Request{Candidate: candidate("wd"), Logs: &all, WorkDir: true})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		t.Cleanup(func() { inst.Stop(context.WithoutCancel(ctx)) })
		if inst.Dir == "" {
			t.Fatal("Request.WorkDir: the instance has no Dir")
		}
		if b, err := os.ReadFile(filepath.Join(inst.Dir, "deps.lock")); err != nil || string(b) != "wd\n" {
			t.Errorf("deps.lock in Instance.Dir = %q, %v; want the candidate's", b, err)
		}
		if _, err := os.Stat(filepath.Join(inst.Dir, "server")); err != nil {
			t.Errorf("the project's files are not in Instance.Dir: %v", err)
		}
		if err := inst.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Instance.Dir %s after Stop: %v, want it gone", inst.Dir, err)
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("parallel candidates", func(t *testing.T) {
		ctx := t.Context()
		locks := []string{"pa", "pb"}
		insts := make([]*runners.Instance, len(locks))
		errs := make([]error, len(locks))
		var wg sync.WaitGroup
		for i, lock := range locks {
			wg.Go(func() { insts[i], _, errs[i] = start(t, ctx, r, lock, nil) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Start %s: %v", locks[i], err)
			}
		}
		if insts[0].BaseURL == insts[1].BaseURL {
			t.Errorf("both candidates at %s", insts[0].BaseURL)
		}
		for i, inst := range insts {
			if _, body := get(t, inst.BaseURL+"/lock"); body != locks[i]+"\n" {
				t.Errorf("candidate %s serves %q", locks[i], body)
			}
			if err := inst.Stop(ctx); err != nil {
				t.Error(err)
			}
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("stop with a cancelled context", func(t *testing.T) {
		inst, logs, err := start(t, t.Context(), r, "v2", nil)
		if err != nil {
			t.Fatalf("Start: %v\nlogs:\n%s", err, logs)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := inst.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("build fails", func(t *testing.T) {
		_, logs, err := start(t, t.Context(), r, Broken, nil)
		untestable(t, err, true, "line60")
		if err != nil && strings.Contains(err.Error(), "line1\n") {
			t.Errorf("error quotes more than the tail of the output:\n%v", err)
		}
		if !strings.Contains(logs, "line1\n") {
			t.Errorf("the whole build output did not reach Request.Logs:\n%s", logs)
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("validation fails", func(t *testing.T) {
		infeasible := errors.New("the ecosystem refuses this candidate")
		var saw []byte
		_, logs, err := start(t, t.Context(), r, "v9", func(_ context.Context, dir string) error {
			saw, _ = os.ReadFile(filepath.Join(dir, "deps.lock"))
			return infeasible
		})
		untestable(t, err, false)
		if !errors.Is(err, infeasible) {
			t.Errorf("error %v does not wrap the validator's", err)
		}
		if string(saw) != "v9\n" {
			t.Errorf("the validator saw deps.lock %q, want the candidate's", saw)
		}
		if strings.Contains(logs, "built") {
			t.Errorf("something was built although validation failed:\n%s", logs)
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("server exits before it is ready", func(t *testing.T) {
		_, _, err := start(t, t.Context(), r, Crash, nil)
		untestable(t, err, false, "incompatible dependency")
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("cancelled start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// Cancelled once the server runs (it never gets ready), or
		// after a while wherever the start is.
		logs := &testenv.CancelOn{Marker: "server starting", Cancel: cancel}
		timer := time.AfterFunc(30*time.Second, cancel)
		defer timer.Stop()
		inst, err := r.Start(ctx, runners.Request{Candidate: candidate(Unready), Logs: io.MultiWriter(logs, &all)})
		if err == nil {
			inst.Stop(context.Background())
			t.Fatal("Start succeeded despite the cancellation")
		}
		if !errors.Is(err, context.Canceled) || errors.Is(err, runners.ErrUntestable) {
			t.Errorf("error %v: want context.Canceled and not untestable", err)
		}
		nothingLeft(t, r, all.String(), false)
	})

	t.Run("release leaves nothing", func(t *testing.T) {
		if err := r.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		nothingLeft(t, r, all.String(), true)
	})

	// The timeouts need settings of their own.
	t.Run("build timeout", func(t *testing.T) {
		c := config(h)
		c.BuildTimeout = 3 * time.Second
		r := newRunner(t, h, c, proj)
		_, logs, err := start(t, t.Context(), r, Hang, nil)
		untestable(t, err, false, "runner.build_timeout")
		if err := r.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		nothingLeft(t, r, logs, true)
	})

	t.Run("ready timeout", func(t *testing.T) {
		c := config(h)
		c.Ready.Timeout = 3 * time.Second
		r := newRunner(t, h, c, proj)
		_, logs, err := start(t, t.Context(), r, Unready, nil)
		untestable(t, err, false)
		if err := r.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		nothingLeft(t, r, logs, true)
	})
}

// newRunner is the harness's runner, released when the test ends unless
// the test released it.
func newRunner(t *testing.T, h Harness, c runners.Config, project string) Runner {
	t.Helper()
	r := h.New(t, c, project)
	var once sync.Once
	own := r.Release
	release := func(ctx context.Context) (err error) {
		once.Do(func() { err = own(ctx) })
		return err
	}
	t.Cleanup(func() {
		if err := release(context.Background()); err != nil {
			t.Errorf("release: %v", err)
		}
	})
	r.Release = release
	return r
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
