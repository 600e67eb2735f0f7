package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/internal/proc"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/runners/local"
)

// appSource is the server of TestKilledRunLeavesNothing: it serves, and
// starts a daemon in a session of its own, out of its process group.
const appSource = `package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"

	"example.com/a"
)

func main() {
	version := flag.Bool("version", false, "print a's version")
	flag.Parse()
	if *version {
		fmt.Println(a.Version)
		return
	}
	d := exec.Command("sleep", "300")
	d.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	fmt.Println(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil))
	os.Exit(1)
}
`

// TestKilledRunLeavesNothing kills the real bisect binary with SIGKILL while
// a probe's server (with its setsid daemon) and oracle run: what it leaves
// (processes, work directory, the exec oracle's output file) is gone after
// `bisect clean`, and, killed again, after the next `bisect run`, which also
// ends each probe's daemon with its probe.
func TestKilledRunLeavesNothing(t *testing.T) {
	testenv.NeedTools(t, "go", "sh", "sleep")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bisect")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build bisect: %v\n%s", err, out)
	}
	proxy := filepath.Join(dir, "proxy")
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		goproxy.Write(t, proxy, goproxy.Module{Path: "example.com/a", Version: v,
			Files: map[string]string{"a.go": "package a\n\nconst Version = \"" + v + "\"\n"}})
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), goproxy.Env(proxy, dir)...)
	env = append(env, "TMPDIR="+tmp, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	// The build cache stays the user's, so that net/http is not compiled afresh.
	if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
		env = append(env, "GOCACHE="+strings.TrimSpace(string(out)))
	}
	for name, v := range map[string]string{"old": "v1.0.0", "app": "v1.1.0"} {
		files := map[string]string{
			"go.mod":  "module example.com/app\n\ngo 1.22\n\nrequire example.com/a " + v + "\n",
			"main.go": appSource,
		}
		for f, content := range files {
			if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name, f), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		tidy := exec.Command("go", "mod", "tidy")
		tidy.Dir, tidy.Env = filepath.Join(dir, name), env
		if out, err := tidy.CombinedOutput(); err != nil {
			t.Fatalf("go mod tidy: %v\n%s", err, out)
		}
	}
	config := func(name, oracle string) string {
		p := filepath.Join(dir, name)
		yaml := "project: app\nrunner:\n  build: [\"go build -o app .\"]\n  start: ./app\n  env: {PORT: \"{{.Port}}\"}\n" +
			"oracle:\n  kind: exec\n  timeout: 10m\n  command: '" + oracle + "'\nsearch: {drill: none}\n"
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hang := config("hang.yaml", "sleep 300")
	judge := config("judge.yaml", `test "$(./app -version)" = v1.0.0`)
	bisect := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, env
		return cmd
	}
	root := filepath.Join(tmp, "lockbisect-local-"+strconv.Itoa(os.Getuid())) // local.Root("") of the bisect processes

	// killed starts a run whose oracle hangs, waits until its server, the
	// server's daemon and the oracle run, kills bisect with SIGKILL, and
	// returns the dead run's directory.
	killed := func() string {
		t.Helper()
		var out bytes.Buffer
		run := bisect("run", "--config", hang, "--lock-old", "old/go.mod", "--lock-new", "app/go.mod")
		run.Stdout, run.Stderr = &out, &out
		if err := run.Start(); err != nil {
			t.Fatal(err)
		}
		// Bounded: a probe is built and started in seconds.
		for i := 0; len(sleeping(root)) < 2; i++ {
			if i == 1200 {
				run.Process.Kill()
				run.Wait()
				t.Fatalf("the probe's server, daemon and oracle never ran:\n%s", out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := run.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = run.Wait()
		entries, err := os.ReadDir(root)
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s holds %v (%v), want the dead run's directory", root, entries, err)
		}
		dead := entries[0].Name()
		if n := len(marked(dead + "/")); n < 3 {
			t.Fatalf("%d processes of the dead run run on: the test proves nothing\n%s", n, out.String())
		}
		logs, _ := filepath.Glob(filepath.Join(root, dead, "*", "tmp", "bisect-exec-*.log"))
		if len(logs) != 1 {
			t.Fatalf("the oracle's output file is not in the work directory: %v", logs)
		}
		return dead
	}
	gone := func(dead string) {
		t.Helper()
		if pids := marked(dead + "/"); len(pids) > 0 {
			t.Errorf("processes %v of the dead run still run", pids)
		}
		if _, err := os.Stat(filepath.Join(root, dead)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the dead run's directory %s is still there (%v)", dead, err)
		}
	}

	dead := killed()
	clean := bisect("clean")
	// The docker part of clean must not touch what others' runs left on
	// this machine's engine: it finds none here, and fails after the local
	// sweep (exit 1), which comes first.
	clean.Env = append(clean.Env, "DOCKER_HOST=tcp://127.0.0.1:1")
	out, _ := clean.CombinedOutput()
	if !strings.Contains(string(out), "does not answer") {
		t.Errorf("bisect clean reached a docker engine:\n%s", out)
	}
	if !strings.Contains(string(out), "removed local work directory") {
		t.Errorf("bisect clean printed no removed directory:\n%s", out)
	}
	gone(dead)

	dead = killed()
	if out, err := bisect("run", "--config", judge, "--lock-old", "old/go.mod", "--lock-new", "app/go.mod").CombinedOutput(); err != nil {
		t.Fatalf("the next run: %v\n%s", err, out)
	}
	gone(dead)
	if pids := markedBelow(root); len(pids) > 0 {
		t.Errorf("processes %v of the finished run (its servers' daemons) still run", pids)
	}
	if entries, _ := os.ReadDir(root); len(entries) > 0 {
		t.Errorf("%s still holds %s after the run", root, entries[0].Name())
	}
}

// sleeping lists the processes of the run with its directory in root
// that run sleep: the server's daemon and the hanging oracle.
func sleeping(root string) []int {
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 1 {
		return nil
	}
	var out []int
	for _, pid := range marked(entries[0].Name() + "/") {
		if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm")); err == nil && strings.TrimSpace(string(b)) == "sleep" {
			out = append(out, pid)
		}
	}
	return out
}

// markedBelow lists the running processes whose TMPDIR lies below root:
// the runs' processes, whatever their owner directory.
func markedBelow(root string) []int {
	var out []int
	for _, pid := range marked("") {
		if tmp, _ := proc.Getenv(pid, "TMPDIR"); strings.HasPrefix(tmp, root+"/") {
			out = append(out, pid)
		}
	}
	return out
}

// marked lists the running processes whose probe mark starts with prefix.
func marked(prefix string) []int {
	pids, _ := proc.Pids()
	var out []int
	for _, pid := range pids {
		if mark, ok := proc.Getenv(pid, local.ProbeEnv); ok && strings.HasPrefix(mark, prefix) {
			if st, err := proc.Read(pid); err == nil && st.State != "Z" {
				out = append(out, pid)
			}
		}
	}
	return out
}
