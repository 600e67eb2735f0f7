package local

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lockbisect/lockbisect/internal/proc"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/runners"
)

// serverSource is the "project" the tests run: a small HTTP server whose
// -mode flag makes it misbehave in the ways a candidate can.
const serverSource = `package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	mode := flag.String("mode", "ok", "ok | exit | ignoreterm | daemon")
	flag.Parse()
	fmt.Printf("pid=%d pgid=%d\n", os.Getpid(), syscall.Getpgrp())
	switch *mode {
	case "exit":
		fmt.Println("boom: cannot start")
		os.Exit(3)
	case "ignoreterm":
		signal.Ignore(syscall.SIGTERM)
	case "daemon":
		// a daemon of its own session, out of the server's process group
		d := exec.Command("sleep", "300")
		d.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := d.Start(); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Printf("daemon=%d\n", d.Process.Pid)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	http.HandleFunc("/pgid", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, syscall.Getpgrp()) })
	http.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/missing", http.StatusFound) })
	http.HandleFunc("/missing", http.NotFound)
	http.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
`

// goEnv makes the go command build the test server offline and as is.
var goEnv = map[string]string{"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "PORT": "{{.Port}}"}

// serverBinary is the test server built once by TestMain, for the tests
// that are not about building.
var serverBinary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// Orphaned grandchildren are re-parented to this process, as they are
	// to bisect running as PID 1 in a container, so that the tests can
	// require their process groups to vanish entirely.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "become child subreaper:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "local-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := writeServer(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command("go", "build", "-o", "server", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build test server: %v\n%s", err, out)
		return 1
	}
	serverBinary = filepath.Join(dir, "server")
	return m.Run()
}

func writeServer(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/server\n\ngo 1.26\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), []byte(serverSource), 0o644)
}

// newProject writes a project with the test server's source, the things
// a copy must leave out, a symlink, an executable script, a read-only file
// and a read-only directory. With binary it also holds the prebuilt server.
func newProject(t *testing.T, binary bool) string {
	t.Helper()
	testenv.NeedTools(t, "sh")
	dir := t.TempDir()
	if err := writeServer(dir); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".git/HEAD":           "ref: refs/heads/main\n",
		"vendor/autoload.php": "<?php\n",
		"node_modules/x/i.js": "1\n",
		"sub/.git":            "gitdir: ../.git/modules/sub\n",
		"sub/keep.txt":        "keep\n",
		"sub/vendor/kept.txt": "nested vendor is source\n",
		"data/deep/file.txt":  "deep\n",
		"readonly.txt":        "ro\n",
		"run.sh":              "#!/bin/sh\necho run\n",
		"ro/inside.txt":       "inside\n",
		"candidate.lock":      "old\n",
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
	for name, mode := range map[string]fs.FileMode{"readonly.txt": 0o444, "run.sh": 0o755, "ro": 0o555, "candidate.lock": 0o444} {
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "ro"), 0o755) })
	if err := os.Symlink("main.go", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if binary {
		b, err := os.ReadFile(serverBinary)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "server"), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// treeHash hashes every path, mode, link target and content below dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00%v\x00", rel, info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00", link)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func candidate() *manifests.Candidate {
	return &manifests.Candidate{Applied: []string{"u1"}, Files: map[string][]byte{"candidate.lock": []byte("new\n")}}
}

// setup returns a runner for project whose work directories go to a
// directory of their own, that directory, and the runner's log.
func setup(t *testing.T, cfg runners.Config, project string, keep bool) (*Runner, string, *testenv.Buffer) {
	t.Helper()
	tmp := t.TempDir()
	log := &testenv.Buffer{}
	r := New(cfg, project, Options{Keep: keep, TempDir: tmp, Logger: slog.New(slog.NewTextHandler(log, nil))})
	return r, tmp, log
}

// assertEmpty fails when a work directory is left below the root dir: it
// may hold only the runner's own directory with its owner record.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		inside, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil || len(inside) != 1 || inside[0].Name() != ownerFile {
			t.Errorf("%s still holds %s: work directory not removed", dir, e.Name())
		}
	}
}

// assertGroupGone fails when any process of group pgid still runs.
func assertGroupGone(t *testing.T, pgid int) {
	t.Helper()
	if pgid <= 1 {
		t.Fatalf("no process group id (%d)", pgid)
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill -0 -%d = %v, want ESRCH: the process group survived", pgid, err)
	}
}

var pgidLine = regexp.MustCompile(`pgid=(\d+)`)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestStartBuildsServesAndStops(t *testing.T) {
	project := newProject(t, false)
	before := treeHash(t, project)
	env := map[string]string{"WORKDIR": "{{.Dir}}"}
	for k, v := range goEnv {
		env[k] = v
	}
	cfg := runners.Config{
		Build: []string{"go build -o server ."},
		// The background sleep is a second member of the group that Stop
		// must end too.
		Start: "sleep 300 & exec ./server",
		Env:   env,
		Ready: runners.Ready{Path: "/redirect", Timeout: time.Minute},
	}
	r, tmp, _ := setup(t, cfg, project, false)
	logs := &testenv.Buffer{}
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: logs})
	if err != nil {
		t.Fatalf("Start: %v\nlogs:\n%s", err, logs)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			inst.Stop(context.Background())
		}
	})

	if want := "http://127.0.0.1:" + strconv.Itoa(inst.Port); inst.BaseURL != want || inst.Host != "127.0.0.1" {
		t.Errorf("BaseURL %q Host %q, want %q on 127.0.0.1", inst.BaseURL, inst.Host, want)
	}
	if status, body := httpGet(t, inst.BaseURL+"/"); status != 200 || body != "ok" {
		t.Errorf("GET / = %d %q, want 200 ok", status, body)
	}
	for _, want := range []string{"PORT=" + strconv.Itoa(inst.Port), "WORKDIR=" + inst.Dir, "GOTOOLCHAIN=local"} {
		if !strings.Contains(strings.Join(inst.Env, "\n"), want) {
			t.Errorf("Env %q lacks %q", inst.Env, want)
		}
	}
	if !strings.HasPrefix(inst.Dir, tmp+string(filepath.Separator)) {
		t.Errorf("Dir %s is not below Options.TempDir %s", inst.Dir, tmp)
	}
	if want := "TMPDIR=" + filepath.Join(filepath.Dir(inst.Dir), "tmp"); !strings.Contains(strings.Join(inst.Env, "\n"), want) {
		t.Errorf("Env %q lacks the work directory's own %s", inst.Env, want)
	}
	if inst.BuildSeconds <= 0 {
		t.Errorf("BuildSeconds = %v, want > 0", inst.BuildSeconds)
	}
	if !strings.Contains(logs.String(), "$ go build -o server .") {
		t.Errorf("logs lack the build command:\n%s", logs)
	}

	t.Run("copy", func(t *testing.T) {
		if b, _ := os.ReadFile(filepath.Join(inst.Dir, "candidate.lock")); string(b) != "new\n" {
			t.Errorf("candidate.lock = %q, want the candidate's content", b)
		}
		for _, name := range []string{".git", "vendor", "node_modules", "sub/.git"} {
			if _, err := os.Lstat(filepath.Join(inst.Dir, name)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s was copied (%v)", name, err)
			}
		}
		for _, name := range []string{"sub/keep.txt", "sub/vendor/kept.txt", "data/deep/file.txt", "ro/inside.txt"} {
			if _, err := os.Stat(filepath.Join(inst.Dir, name)); err != nil {
				t.Errorf("%s was not copied: %v", name, err)
			}
		}
		for name, want := range map[string]fs.FileMode{"readonly.txt": 0o444, "run.sh": 0o755, "ro": fs.ModeDir | 0o555} {
			info, err := os.Stat(filepath.Join(inst.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode() != want {
				t.Errorf("%s mode %v, want %v", name, info.Mode(), want)
			}
		}
		if link, err := os.Readlink(filepath.Join(inst.Dir, "link")); err != nil || link != "main.go" {
			t.Errorf("link = %q, %v; want a symlink to main.go", link, err)
		}
	})

	_, body := httpGet(t, inst.BaseURL+"/pgid")
	pgid, _ := strconv.Atoi(body)
	if err := inst.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	assertGroupGone(t, pgid)
	assertEmpty(t, tmp)
	if err := inst.Stop(t.Context()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if after := treeHash(t, project); after != before {
		t.Error("the project directory changed")
	}
}

func TestStopKillsServerIgnoringTerm(t *testing.T) {
	project := newProject(t, true)
	cfg := runners.Config{Start: "./server -mode=ignoreterm", Env: goEnv, Stop: 300 * time.Millisecond, Ready: runners.Ready{Timeout: time.Minute}}
	r, tmp, log := setup(t, cfg, project, false)
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: &testenv.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	_, body := httpGet(t, inst.BaseURL+"/pgid")
	pgid, _ := strconv.Atoi(body)
	if err := inst.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertGroupGone(t, pgid)
	assertEmpty(t, tmp)
	if !strings.Contains(log.String(), "SIGKILL") {
		t.Errorf("the runner did not log the SIGKILL:\n%s", log)
	}
}

// TestStopEndsSetsidDaemon: a daemon the server starts in a session of its
// own is out of reach of the process group, and still ends with the probe.
func TestStopEndsSetsidDaemon(t *testing.T) {
	project := newProject(t, true)
	cfg := runners.Config{Start: "./server -mode=daemon", Env: goEnv, Ready: runners.Ready{Timeout: time.Minute}}
	r, tmp, _ := setup(t, cfg, project, false)
	logs := &testenv.Buffer{}
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	// The server printed the line before it listened, but the copy of its
	// output may still be on its way (bounded wait).
	var m []string
	for i := 0; m == nil && i < 200; i++ {
		if m = regexp.MustCompile(`daemon=(\d+)`).FindStringSubmatch(logs.String()); m == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if m == nil {
		t.Fatalf("the server started no daemon:\n%s", logs)
	}
	daemon, _ := strconv.Atoi(m[1])
	_, body := httpGet(t, inst.BaseURL+"/pgid")
	dpg, err := syscall.Getpgid(daemon)
	if err != nil {
		t.Fatal(err)
	}
	if pgid, _ := strconv.Atoi(body); dpg == pgid {
		t.Fatalf("the daemon %d is in the server's process group: the test proves nothing", daemon)
	}
	if err := inst.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := syscall.Kill(daemon, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill -0 %d = %v, want ESRCH: the setsid daemon outlived its probe", daemon, err)
	}
	assertEmpty(t, tmp)
}

// TestSweep: the directory of a dead owner goes, with the processes that
// carry its mark (one in a session of its own); a live owner's stays.
func TestSweep(t *testing.T) {
	root := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Start(); err != nil {
		t.Fatal(err)
	}
	st, err := proc.Read(dead.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Wait(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	write := func(name string, o owner) {
		if err := os.MkdirAll(filepath.Join(root, name, "w1", "project"), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(o)
		if err := os.WriteFile(filepath.Join(root, name, ownerFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	self, err := proc.Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	write("dead", owner{PID: dead.Process.Pid, Start: st.Start, Host: host})
	write("kept", owner{PID: dead.Process.Pid, Start: st.Start, Host: host, Keep: true})
	write("live", owner{PID: os.Getpid(), Start: self.Start, Host: host})
	orphan := exec.Command("sleep", "300")
	orphan.Env = append(os.Environ(), ProbeEnv+"=dead/w1")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	// This process reaps it, as bisect (a child subreaper) would.
	defer orphan.Process.Kill()

	removed, err := Sweep(root, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || !strings.Contains(removed[0], "dead and 1 processes") {
		t.Errorf("Sweep removed %q, want the dead owner's directory and 1 process", removed)
	}
	if err := syscall.Kill(orphan.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill -0 %d = %v, want ESRCH: the dead run's process survived", orphan.Process.Pid, err)
	}
	for name, want := range map[string]bool{"dead": false, "kept": true, "live": true} {
		if _, err := os.Stat(filepath.Join(root, name)); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
	if _, err := Sweep(root, SweepOptions{Kept: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kept")); err == nil {
		t.Error("Sweep with Kept left the kept directory")
	}
}

func TestKeep(t *testing.T) {
	project := newProject(t, true)
	cfg := runners.Config{Start: "./server", Env: goEnv, Ready: runners.Ready{Timeout: time.Minute}}
	r, _, log := setup(t, cfg, project, true)
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: &testenv.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeAll(inst.Dir) })
	if err := inst.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(inst.Dir, "candidate.lock")); err != nil {
		t.Errorf("kept work directory is incomplete: %v", err)
	}
	if !strings.Contains(log.String(), "kept work directory") || !strings.Contains(log.String(), inst.Dir) {
		t.Errorf("the kept directory was not logged:\n%s", log)
	}
}

func TestNothingServed(t *testing.T) {
	project := newProject(t, true)
	cfg := runners.Config{
		// A read-only tree, like a Go module cache, must not stop the
		// work directory's removal.
		Build: []string{"mkdir -p cache/mod/x && echo built > cache/mod/x/f && chmod -R a-w cache && echo built > artifact"},
	}
	r, tmp, _ := setup(t, cfg, project, false)
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: &testenv.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if inst.BaseURL != "" || inst.Port != 0 {
		t.Errorf("BaseURL %q Port %d, want nothing served", inst.BaseURL, inst.Port)
	}
	if b, err := os.ReadFile(filepath.Join(inst.Dir, "artifact")); err != nil || string(b) != "built\n" {
		t.Errorf("artifact = %q, %v", b, err)
	}
	if err := inst.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertEmpty(t, tmp)
}

func TestCancelDuringBuild(t *testing.T) {
	project := newProject(t, true)
	pidFile := filepath.Join(t.TempDir(), "pid")
	cfg := runners.Config{
		Build: []string{`sleep 300 & echo $$ > "$PIDFILE"; wait`},
		Start: "./server",
		Env:   map[string]string{"PIDFILE": pidFile},
	}
	r, tmp, _ := setup(t, cfg, project, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for {
			if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	inst, err := r.Start(ctx, runners.Request{Candidate: candidate(), Logs: &testenv.Buffer{}})
	if err == nil {
		inst.Stop(context.Background())
		t.Fatal("Start succeeded despite the cancellation")
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, runners.ErrUntestable) {
		t.Errorf("error %v: want context.Canceled and not untestable", err)
	}
	b, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pgid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	assertGroupGone(t, pgid)
	assertEmpty(t, tmp)
}

func TestPortTaken(t *testing.T) {
	project := newProject(t, true)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := runners.Config{Start: "./server", Env: goEnv, Ready: runners.Ready{Timeout: 30 * time.Second}}
	r, tmp, _ := setup(t, cfg, project, false)
	r.freePort = func() (int, error) { return l.Addr().(*net.TCPAddr).Port, nil }
	inst, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: &testenv.Buffer{}})
	if err == nil {
		inst.Stop(context.Background())
		t.Fatal("Start succeeded on a taken port")
	}
	if errors.Is(err, runners.ErrUntestable) || !strings.Contains(err.Error(), "taken by another process") {
		t.Errorf("error %v: want a port conflict that is not untestable", err)
	}
	assertEmpty(t, tmp)
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  runners.Config
		want string
	}{
		{"start", runners.Config{Start: "./server -port {{.Prot}}"}, "runner.start: template"},
		{"build", runners.Config{Build: []string{"true", "make {{.Nope}}"}}, "runner.build[1]: template"},
		{"env", runners.Config{Env: map[string]string{"PORT": "{{.Port"}}, "runner: env PORT: template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, tmp, _ := setup(t, tt.cfg, newProject(t, false), false)
			_, err := r.Start(t.Context(), runners.Request{Candidate: candidate(), Logs: &testenv.Buffer{}})
			if err == nil || errors.Is(err, runners.ErrUntestable) || !errors.Is(err, runners.ErrSetup) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v: want a setup error containing %q", err, tt.want)
			}
			assertEmpty(t, tmp)
		})
	}
}
