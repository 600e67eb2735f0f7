package docker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/runners"
)

// needDocker returns a client of the real engine. Without one the test is
// skipped, unless CI=true: there a missing engine is a failure.
func needDocker(t testing.TB) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := Connect(ctx)
	if err != nil {
		testenv.Missing(t, "the docker engine", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// serverSource is the test server: it listens on $PORT, answers /healthz,
// /lock (the candidate's deps.lock baked into the image) and /exists?p=PATH
// (whether a file reached the image), and exits at once when its lock says
// "crash", to stand for a candidate that cannot start.
const serverSource = `package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
)

func main() {
	lock, _ := os.ReadFile("/deps.lock")
	fmt.Printf("server starting with lock %q\n", strings.TrimSpace(string(lock)))
	if strings.Contains(string(lock), "crash") {
		fmt.Fprintln(os.Stderr, "fatal: incompatible dependency")
		os.Exit(3)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	http.HandleFunc("/lock", func(w http.ResponseWriter, r *http.Request) { w.Write(lock) })
	http.HandleFunc("/exists", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(r.URL.Query().Get("p")); err != nil {
			http.NotFound(w, r)
		}
	})
	fmt.Println("listening on", os.Getenv("PORT"))
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

const scratchDockerfile = `FROM scratch
COPY server /server
COPY . /ctx/
COPY deps.lock /deps.lock
ENTRYPOINT ["/server"]
`

// staticServer is the test server, built once per test binary,
// statically, so that a FROM scratch image can run it.
func staticServer(t testing.TB) []byte { return testenv.StaticBinary(t, serverSource) }

// project writes a test project (the server binary, a Dockerfile and any
// extra files) and returns its directory.
func project(t testing.TB, dockerfile string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "server"), staticServer(t), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"Dockerfile": dockerfile, "deps.lock": "project lock\n"}
	for k, v := range extra {
		files[k] = v
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testConfig() settings {
	return settings{Config: runners.Config{Kind: "docker", Env: map[string]string{"PORT": "{{.Port}}"}, Ready: runners.Ready{Path: "/healthz", Timeout: 20 * time.Second}}, own: Config{Dockerfile: "Dockerfile", Port: 8080}}
}

func candidate(lock string) *manifests.Candidate {
	return &manifests.Candidate{Files: map[string][]byte{"deps.lock": []byte(lock)}}
}

// newRunner starts a runner with a unique run id and, whatever the test's
// outcome, closes it and removes the images its run built.
func newRunner(t testing.TB, dir string, cfg settings, opts Options) *Runner {
	t.Helper()
	ctx := context.Background()
	if opts.RunID == "" {
		opts.RunID = "test-" + newRunID()
	}
	if opts.Project == "" {
		opts.Project = "test-" + sanitize(t.Name())
	}
	r, err := New(ctx, cfg.Config, cfg.own, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		removeImages(t, r.repo)
	})
	return r
}
