package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/internal/proc"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/runners"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestStartStop(t *testing.T) {
	cli := needDocker(t)
	ctx := context.Background()
	dir := project(t, scratchDockerfile, map[string]string{
		".dockerignore":   "secret.txt\nlogs/\n!logs/keep.log\n",
		"secret.txt":      "token",
		"logs/drop.log":   "x",
		"logs/keep.log":   "y",
		"src/handler.txt": "z",
	})
	cfg := testConfig()
	cfg.Memory, cfg.CPUs = "64m", 0.5
	r := newRunner(t, dir, cfg, Options{})
	runLabel := filters.Arg("label", LabelRun+"="+r.labels[LabelRun])

	logs := &testenv.Buffer{}
	inst, err := r.Start(ctx, runners.Request{Candidate: candidate("alpha 1.0\n"), Logs: logs})
	if err != nil {
		t.Fatalf("start: %v\nlogs:\n%s", err, logs)
	}
	t.Cleanup(func() { inst.Stop(ctx) })
	if inst.Cached {
		t.Error("first start of a candidate reported a cached image")
	}
	if inst.Host != "127.0.0.1" || inst.BaseURL != "http://127.0.0.1:"+strconv.Itoa(inst.Port) {
		t.Errorf("endpoint host %q port %d url %q", inst.Host, inst.Port, inst.BaseURL)
	}
	if want := "PORT=" + strconv.Itoa(inst.Port); len(inst.Env) != 1 || inst.Env[0] != want {
		t.Errorf("instance env %q, want [%s] (the published port, for commands on this host)", inst.Env, want)
	}

	t.Run("candidate lock reached the image", func(t *testing.T) {
		if code, body := get(t, inst.BaseURL+"/lock"); code != 200 || body != "alpha 1.0\n" {
			t.Errorf("GET /lock = %d %q, want the candidate's lock", code, body)
		}
	})
	t.Run("dockerignore honoured", func(t *testing.T) {
		for path, want := range map[string]int{
			"/ctx/secret.txt":      404,
			"/ctx/logs/drop.log":   404,
			"/ctx/logs/keep.log":   200,
			"/ctx/src/handler.txt": 200,
			"/ctx/Dockerfile":      200,
			// The labelled copy the build reads is dropped before COPY.
			"/ctx/" + sentDockerfile: 404,
			"/ctx/.dockerignore":     404,
		} {
			if code, _ := get(t, inst.BaseURL+"/exists?p="+path); code != want {
				t.Errorf("%s in the image: status %d, want %d", path, code, want)
			}
		}
	})
	t.Run("port on 127.0.0.1 only, limits, labels", func(t *testing.T) {
		cs, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(runLabel)})
		if err != nil || len(cs) != 1 {
			t.Fatalf("containers of the run: %d, %v", len(cs), err)
		}
		info, err := cli.ContainerInspect(ctx, cs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if info.HostConfig.Privileged {
			t.Error("container is privileged")
		}
		if info.HostConfig.Memory != 64<<20 || info.HostConfig.NanoCPUs != 5e8 {
			t.Errorf("limits: memory %d nanocpus %d, want 64 MiB and 0.5 CPU", info.HostConfig.Memory, info.HostConfig.NanoCPUs)
		}
		bindings := info.NetworkSettings.Ports["8080/tcp"]
		if len(bindings) == 0 {
			t.Fatal("port 8080/tcp not published")
		}
		for _, b := range bindings {
			if b.HostIP != "127.0.0.1" {
				t.Errorf("published on %s:%s, want 127.0.0.1 only", b.HostIP, b.HostPort)
			}
		}
		img, err := cli.ImageInspect(ctx, info.Image)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{LabelTool, LabelRun, LabelCandidate, LabelPID, LabelStart, LabelHost, LabelCreated} {
			if info.Config.Labels[k] == "" {
				t.Errorf("container label %s missing", k)
			}
			if img.Config.Labels[k] != info.Config.Labels[k] && k != LabelCreated {
				t.Errorf("image label %s = %q, want %q", k, img.Config.Labels[k], info.Config.Labels[k])
			}
		}
	})
	t.Run("logs demultiplexed", func(t *testing.T) {
		if err := inst.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		out := logs.String()
		if !strings.Contains(out, "listening on 8080\n") || !strings.Contains(out, `server starting with lock "alpha 1.0"`) {
			t.Errorf("logs lack the server's output:\n%s", out)
		}
		if strings.ContainsAny(out, "\x01\x02") {
			t.Errorf("logs carry stream headers: %q", out)
		}
	})
	t.Run("second start is cached", func(t *testing.T) {
		again, err := r.Start(ctx, runners.Request{Candidate: candidate("alpha 1.0\n"), Logs: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		defer again.Stop(ctx)
		if !again.Cached {
			t.Error("same candidate built again")
		}
		if code, body := get(t, again.BaseURL+"/lock"); code != 200 || body != "alpha 1.0\n" {
			t.Errorf("cached image serves %d %q", code, body)
		}
	})
	t.Run("nothing of the run remains after stop and close", func(t *testing.T) {
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(runLabel)})
		if err != nil || len(cs) != 0 {
			t.Errorf("containers left: %d (%v)", len(cs), err)
		}
		ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(runLabel)})
		if err != nil || len(ns) != 0 {
			t.Errorf("networks left: %d (%v)", len(ns), err)
		}
		is, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", r.repo))})
		if err != nil || len(is) != 1 {
			t.Errorf("cached images: %d, want 1 kept as the cache (%v)", len(is), err)
		}
	})
}

func TestUntestable(t *testing.T) {
	cli := needDocker(t)
	ctx := context.Background()
	const base = "lockbisect/go:1.26.8" // a shell for RUN
	if _, err := cli.ImageInspect(ctx, base); err != nil {
		testenv.Missing(t, base+" (run scripts/images.sh)", err)
	}
	failingRun := "FROM " + base + "\nCOPY deps.lock /deps.lock\nRUN echo resolving; echo 'error: alpha 1.0 needs beta 2' >&2; exit 3\n"
	tests := []struct {
		name       string
		builder    string
		dockerfile string
		lock       string
		want       []string // in the error
		wantLogs   string
	}{
		{
			name:       "build fails",
			builder:    "classic",
			dockerfile: "FROM scratch\nCOPY server /server\nCOPY no-such-file /x\n",
			lock:       "alpha 1.0\n",
			want:       []string{"build of candidate", "no-such-file", "Step 3/"},
			wantLogs:   "Step 1/",
		},
		{
			name:       "run fails",
			builder:    "classic",
			dockerfile: failingRun,
			lock:       "alpha 1.0\n",
			want:       []string{"build failed", "Step 4/5 : RUN echo resolving", "error: alpha 1.0 needs beta 2"},
			wantLogs:   "resolving",
		},
		{
			name:       "buildkit build fails",
			builder:    "buildkit",
			dockerfile: "FROM scratch\nCOPY server /server\nCOPY no-such-file /x\n",
			lock:       "alpha 1.0\n",
			want:       []string{"build of candidate", "no-such-file", "failing step: [2/2] COPY no-such-file /x"},
			wantLogs:   "[1/2] COPY server /server",
		},
		{
			name:       "buildkit run fails",
			builder:    "buildkit",
			dockerfile: failingRun,
			lock:       "alpha 1.0\n",
			want:       []string{"build failed", "exit code: 3", "failing step: [3/3] RUN echo resolving", "error: alpha 1.0 needs beta 2"},
			wantLogs:   "resolving",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Builder = tt.builder
			r := newRunner(t, project(t, tt.dockerfile, nil), cfg, Options{})
			logs := &testenv.Buffer{}
			inst, err := r.Start(ctx, runners.Request{Candidate: candidate(tt.lock), Logs: logs})
			if err == nil {
				inst.Stop(ctx)
				t.Fatal("start succeeded")
			}
			if !errors.Is(err, runners.ErrUntestable) {
				t.Errorf("error is not untestable: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if !strings.Contains(logs.String(), tt.wantLogs) {
				t.Errorf("logs lack %q:\n%s", tt.wantLogs, logs)
			}
		})
	}
}

// TestFailedBuildLeavesNothing: a build that fails or is interrupted (Ctrl-C
// mid-build) leaves no untagged step image (nor, since a step's container
// would keep its image in use, a build container) behind.
func TestFailedBuildLeavesNothing(t *testing.T) {
	cli := needDocker(t)
	tests := []struct {
		name, dockerfile string
		cancelAt         string // "" = the build fails by itself
	}{
		{"build fails", "FROM scratch\nENV NONCE=" + newRunID() + "\nCOPY server /server\nCOPY no-such-file /x\n", ""},
		// The server never exits: the step runs until the build is cancelled.
		{"build interrupted", "FROM scratch\nENV NONCE=" + newRunID() + "\nCOPY server /server\nRUN [\"/server\"]\n", "listening on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Step images are the classic builder's; BuildKit commits none.
			cfg := testConfig()
			cfg.Builder = "classic"
			r := newRunner(t, project(t, tt.dockerfile, nil), cfg, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logs := &testenv.CancelOn{Marker: tt.cancelAt, Cancel: cancel}
			if tt.cancelAt == "" {
				logs.Marker = "\x00never"
			}
			_, err := r.Start(ctx, runners.Request{Candidate: candidate("x\n"), Logs: logs})
			if err == nil {
				t.Fatal("start succeeded")
			}
			if tt.cancelAt != "" && !errors.Is(err, context.Canceled) {
				t.Errorf("interrupted build: error %v, want context.Canceled", err)
			}
			// The steps this build made; those it took from the cache may
			// be under images other builds tagged, and stay.
			var found []string
			cached := false
			for _, line := range strings.Split(logs.String(), "\n") {
				if m := stepImage.FindStringSubmatch(line); m != nil && !cached {
					found = append(found, m[1])
				}
				if strings.HasPrefix(line, " ---> ") {
					cached = line == " ---> Using cache"
				}
			}
			if len(found) == 0 {
				t.Fatalf("no step image made by the build in its output:\n%s", logs.String())
			}
			for _, id := range found {
				if _, err := cli.ImageInspect(context.Background(), id); err == nil {
					t.Errorf("step image %s left behind", id)
				}
			}
		})
	}
}

func TestClean(t *testing.T) {
	cli := needDocker(t)
	ctx := context.Background()
	dir := project(t, "FROM scratch\nCOPY server /server\n", nil)
	long := time.Now().Add(-48 * time.Hour).Unix()
	// The "dead" run's owner is a process of this test that dies once the
	// run's objects exist: until then, the sweep of a concurrent test
	// process spares them (a labelled build's last step is an untagged
	// image until the build tags it), as it spares a real run's.
	owner := exec.Command("sleep", "600")
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	killOwner := func() { owner.Process.Kill(); owner.Wait() }
	defer killOwner()
	st, err := proc.Read(owner.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	dead := func(run string) map[string]string {
		return map[string]string{
			LabelTool: toolName, LabelRun: run, LabelCandidate: "0123456789abcdef",
			LabelPID: strconv.Itoa(owner.Process.Pid), LabelStart: st.Start,
			LabelHost: hostname(), LabelCreated: strconv.FormatInt(long, 10),
		}
	}
	run := "test-clean-" + newRunID()
	live := dead(run + "-live")
	live[LabelPID], live[LabelStart] = strconv.Itoa(os.Getpid()), startLabel()

	tag := "lockbisect/test-clean:" + run
	// A live run's network keeps the build's step containers safe from a
	// concurrent test process's sweep, as a real run's network does.
	liveN := createNetwork(t, cli, "lockbisect-"+run+"-live", live)
	t.Cleanup(func() { cli.NetworkRemove(ctx, liveN) })
	buildTagged(t, cli, dir, tag, dead(run))
	t.Cleanup(func() { removeImages(t, tag) })
	netID := createNetwork(t, cli, "lockbisect-"+run, dead(run))
	deadID := createContainer(t, cli, tag, dead(run))
	liveC := createContainer(t, cli, tag, live)
	t.Cleanup(func() {
		cli.ContainerRemove(ctx, liveC, container.RemoveOptions{Force: true})
		cli.ContainerRemove(ctx, deadID, container.RemoveOptions{Force: true})
		cli.NetworkRemove(ctx, netID)
	})
	killOwner()

	// Clean's lines name the objects so.
	deadC, deadN, img := "container /lockbisect-"+run+"-dead", "network lockbisect-"+run, "image "+tag
	exists := map[string]func() error{
		deadC: func() error { _, err := cli.ContainerInspect(ctx, deadID); return err },
		deadN: func() error { _, err := cli.NetworkInspect(ctx, netID, network.InspectOptions{}); return err },
		img:   func() error { _, err := cli.ImageInspect(ctx, tag); return err },
	}
	// Each step names what of this test's objects is gone after it, and
	// what must still be there. The sweep at the start of a runner in
	// another test process may remove a dead container or network at any
	// time, so those are never required to stay; Clean's lines must only
	// name what is gone.
	steps := []struct {
		name       string
		opts       CleanOptions
		gone, kept []string
	}{
		{"younger than asked: nothing", CleanOptions{All: true, OlderThan: 72 * time.Hour}, nil, []string{img}},
		{"dead run's container and network, image kept", CleanOptions{OlderThan: 24 * time.Hour}, []string{deadC, deadN}, []string{img}},
		// The live run's container keeps its image in use.
		{"all: image in use stays", CleanOptions{All: true, OlderThan: 24 * time.Hour}, []string{deadC, deadN}, []string{img}},
	}
	check := func(t *testing.T, opts CleanOptions, gone, kept []string) {
		t.Helper()
		removed, err := Clean(ctx, cli, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range mine(removed, run) {
			if !slices.Contains(gone, line) {
				t.Errorf("removed %s, want it kept", line)
			}
		}
		for _, what := range gone {
			if err := exists[what](); !cerrdefs.IsNotFound(err) {
				t.Errorf("%s: %v, want it removed", what, err)
			}
		}
		for _, what := range kept {
			if err := exists[what](); err != nil {
				t.Errorf("%s removed: %v", what, err)
			}
		}
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) { check(t, s.opts, s.gone, s.kept) })
	}
	if _, err := cli.ContainerInspect(ctx, liveC); err != nil {
		t.Errorf("live run's container removed: %v", err)
	}
	cli.ContainerRemove(ctx, liveC, container.RemoveOptions{Force: true})
	t.Run("all: unused image removed", func(t *testing.T) {
		check(t, CleanOptions{All: true, OlderThan: 24 * time.Hour}, []string{deadC, deadN, img}, nil)
	})
}

// TestCleanSparesLiveBuilds: while a run is alive, neither the untagged
// last step of its build nor a step image or a RUN step's container (which
// may be another live build's) is removed, by `bisect clean` or by the
// sweep at a runner's start; the untagged image of a dead run is.
func TestCleanSparesLiveBuilds(t *testing.T) {
	cli := needDocker(t)
	ctx := context.Background()
	labels := func(run, pid string) map[string]string {
		return map[string]string{
			LabelTool: toolName, LabelRun: run, LabelCandidate: run,
			LabelPID: pid, LabelHost: hostname(), LabelCreated: strconv.FormatInt(time.Now().Unix(), 10),
		}
	}
	dir := project(t, "FROM scratch\nCOPY server /server\n", nil)
	id := newRunID()
	liveImage := buildTagged(t, cli, dir, "", labels("test-live-"+id, strconv.Itoa(os.Getpid())))
	deadImage := buildTagged(t, cli, dir, "", labels("test-dead-"+id, "99999999"))
	stepImage := buildTagged(t, cli, dir, "", map[string]string{LabelTool: toolName, LabelCandidate: id})
	t.Cleanup(func() {
		for _, im := range []string{liveImage, deadImage, stepImage} {
			cli.ImageRemove(ctx, im, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
	// The container of a RUN step has its step image's labels.
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: stepImage, Cmd: []string{"/server"}, Labels: map[string]string{LabelTool: toolName}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}) })
	if _, err := Clean(ctx, cli, CleanOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerInspect(ctx, c.ID); err != nil {
		t.Errorf("a build step's container was removed while a run is alive: %v", err)
	}
	for _, im := range []struct{ id, what string }{{liveImage, "the live run's untagged image"}, {stepImage, "a step image while a run is alive"}} {
		if _, err := cli.ImageInspect(ctx, im.id); err != nil {
			t.Errorf("%s was removed: %v", im.what, err)
		}
	}
	if _, err := cli.ImageInspect(ctx, deadImage); !cerrdefs.IsNotFound(err) {
		t.Errorf("the dead run's untagged image: %v, want it removed", err)
	}
}

// mine keeps the removal lines that name objects of the test's run.
func mine(removed []string, run string) []string {
	var out []string
	for _, r := range removed {
		if strings.Contains(r, run) {
			out = append(out, r)
		}
	}
	return out
}

// buildTagged builds dir's Dockerfile with the labels added, as tag (""
// leaves the image untagged, as a build in progress has it), and returns
// the image's id.
func buildTagged(t *testing.T, cli *client.Client, dir, tag string, labels map[string]string) string {
	t.Helper()
	ctx := context.Background()
	entries, err := contextEntries(dir, filepath.Join(dir, ".dockerignore"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeContext(&buf, dir, entries, map[string][]byte{"Dockerfile": labelled(df, labels)}); err != nil {
		t.Fatal(err)
	}
	opts := buildOptions(tag, "Dockerfile", nil, build.BuilderV1)
	if tag == "" {
		opts.Tags = nil
	}
	resp, err := cli.ImageBuild(ctx, &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	id, _, err := decodeBuild(resp.Body, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func createNetwork(t *testing.T, cli *client.Client, name string, labels map[string]string) string {
	t.Helper()
	n, err := cli.NetworkCreate(context.Background(), name, network.CreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	return n.ID
}

func createContainer(t *testing.T, cli *client.Client, tag string, labels map[string]string) string {
	t.Helper()
	kind := "dead"
	if labels[LabelPID] == strconv.Itoa(os.Getpid()) {
		kind = "live"
	}
	c, err := cli.ContainerCreate(context.Background(), &container.Config{Image: tag, Cmd: []string{"/server"}, Labels: labels}, nil, nil, nil, "lockbisect-"+labels[LabelRun]+"-"+kind)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// removeImages removes every image of repo, or the one image when repo
// names a tag (test cleanup: a concurrent test process may own other tags).
func removeImages(t testing.TB, repo string) {
	ctx := context.Background()
	cli, err := Connect(ctx)
	if err != nil {
		t.Errorf("remove images of %s: %v", repo, err)
		return
	}
	defer cli.Close()
	is, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	if err != nil {
		t.Errorf("list images of %s: %v", repo, err)
		return
	}
	for _, im := range is {
		for _, tag := range im.RepoTags {
			if _, err := cli.ImageRemove(ctx, tag, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				t.Errorf("remove image %s: %v", tag, err)
			}
		}
	}
}
