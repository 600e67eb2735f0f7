package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lockbisect/lockbisect/internal/fixtures/goproxy"
	"github.com/lockbisect/lockbisect/reports"
	"github.com/lockbisect/lockbisect/reports/reportstest"
	"github.com/lockbisect/lockbisect/runners/docker"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"bisect": func() { os.Exit(run()) },
	})
}

// TestScripts runs the end-to-end scenarios in testdata/script through the
// real binary. $REPO is the repository root (for the shipped examples).
// Conditions: [php], [composer], [node] and [npm] say whether the tool is there, [docker]
// whether the engine answers and has the examples' base images; with
// CI=true a missing tool or image fails the script that needs it.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: scriptSetup(repo, nil),
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "docker":
				err := dockerReady(repo)
				if err != nil && os.Getenv("CI") == "true" {
					t.Fatalf("CI=true but the docker scripts cannot run (run scripts/images.sh for the base images): %v", err)
				}
				return err == nil, nil
			case "php", "composer", "node", "npm":
				_, err := exec.LookPath(cond)
				if err != nil && os.Getenv("CI") == "true" {
					t.Fatalf("CI=true but %s is not installed: the scripts that need it must run", cond)
				}
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkproxy":         cmdMkproxy,
			"validate-report": cmdValidateReport,
			"treehash":        cmdTreehash,
			"candidate-image": cmdCandidateImage,
		},
		RequireExplicitExec: true,
	})
}

// scriptSetup is the environment of every script: $REPO, the go command's
// caches, CI and DOCKER_HOST from the test's environment, then extra.
func scriptSetup(repo string, extra map[string]string) func(env *testscript.Env) error {
	return func(env *testscript.Env) error {
		env.Setenv("REPO", repo)
		env.Setenv("GOTOOLCHAIN", "local")
		env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
		for _, k := range []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOFLAGS", "CI", "DOCKER_HOST"} {
			if v, ok := os.LookupEnv(k); ok {
				env.Setenv(k, v)
			}
		}
		// HOME is hidden from scripts: the go command's caches are
		// named explicitly (a script that runs a generator needs the
		// module cache).
		for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
			if _, ok := os.LookupEnv(k); !ok {
				if out, err := exec.Command("go", "env", k).Output(); err == nil {
					env.Setenv(k, string(out[:len(out)-1]))
				}
			}
		}
		for k, v := range extra {
			env.Setenv(k, v)
		}
		env.Defer(func() { removeRunImages(env.T(), env.WorkDir) })
		return nil
	}
}

// removeRunImages removes the docker images that a script's own runs
// built: those labelled with a run whose directory lies below the
// script's work directory (lockbisect/runs/<id>), so that repeated test
// runs leave no candidate images behind. An image that another run built
// and a script reused keeps its own run's label and stays.
func removeRunImages(t testscript.T, work string) {
	runs := map[string]bool{}
	filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() != "runs" || filepath.Base(filepath.Dir(p)) != "lockbisect" {
			return nil
		}
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			runs[e.Name()] = true
		}
		return fs.SkipDir
	})
	if len(runs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := docker.Connect(ctx)
	if err != nil {
		return // no engine: no image was built
	}
	defer cli.Close()
	is, err := cli.ImageList(ctx, image.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", docker.LabelRun))})
	if err != nil {
		t.Log("the images of the script's runs are left: ", err)
		return
	}
	for _, im := range is {
		if !runs[im.Labels[docker.LabelRun]] {
			continue
		}
		if _, err := docker.RemoveImage(ctx, cli, im); err != nil {
			t.Log("an image of the script's runs is left: ", err)
		}
	}
}

// cmdMkproxy builds a file module proxy: mkproxy PROXY SRC makes every
// directory SRC/<module path>@<version> a module version in PROXY.
func cmdMkproxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkproxy PROXY SRC")
	}
	proxy, src := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || !strings.Contains(d.Name(), "@") {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		path, version, _ := strings.Cut(filepath.ToSlash(rel), "@")
		m := goproxy.Module{Path: path, Version: version, Files: map[string]string{}}
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			name, _ := filepath.Rel(p, f)
			if name == "go.mod" {
				m.GoMod = string(b)
			} else {
				m.Files[filepath.ToSlash(name)] = string(b)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := goproxy.WriteModule(proxy, m); err != nil {
			return err
		}
		return filepath.SkipDir
	})
	ts.Check(err)
}

// cmdValidateReport checks a JSON report against docs/report.schema.json.
func cmdValidateReport(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: validate-report FILE")
	}
	sch, err := reportstest.CompileSchema(filepath.Join(ts.Getenv("REPO"), "docs", "report.schema.json"))
	ts.Check(err)
	err = reportstest.ValidateJSON(sch, []byte(ts.ReadFile(args[0])))
	if neg {
		if err == nil {
			ts.Fatalf("%s matches the schema", args[0])
		}
		return
	}
	ts.Check(err)
}

// cmdTreehash writes to FILE a digest of every path, mode and content below
// DIR: treehash DIR FILE, then cmp two digests to show a tree is unchanged.
func cmdTreehash(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: treehash DIR FILE")
	}
	h := sha256.New()
	root := ts.MkAbs(args[0])
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s %v %d\n", rel, info.Mode(), info.ModTime().UnixNano())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(fmt.Sprintf("%x\n", h.Sum(nil))), 0o644))
}

// dockerReady checks what the docker scripts need, the way a run's
// preflight does: the docker CLI (the scripts call it), an engine that
// answers, and the base images of the examples' Dockerfiles (a missing one
// would make a script fail with a misleading verdict, old-fails or
// old-untestable).
func dockerReady(repo string) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ex := range []string{"go-mcp", "composer-mcp"} {
		if err := docker.Preflight(ctx, docker.Config{Dockerfile: "../Dockerfile"}, filepath.Join(repo, "examples", ex, "server")); err != nil {
			return err
		}
	}
	return nil
}

// cmdCandidateImage prints the id of the docker image the run of a JSON
// report built for its old or its new lock (the probe with nothing, or
// every change, applied): candidate-image REPORT old|new. The images
// carry their candidate's hash, of which the report holds the start.
func cmdCandidateImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[1] != "old" && args[1] != "new" {
		ts.Fatalf("usage: candidate-image REPORT old|new")
	}
	var rep reports.Report
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &rep))
	want := 0
	if args[1] == "new" {
		want = len(rep.Changes)
	}
	candidate := ""
	for _, p := range rep.Probes {
		if len(p.Applied) == want {
			candidate = p.Candidate
			break
		}
	}
	if candidate == "" {
		ts.Fatalf("%s: no probe of the %s lock", args[0], args[1])
	}
	ctx := context.Background()
	cli, err := docker.Connect(ctx)
	ts.Check(err)
	defer cli.Close()
	is, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", docker.LabelCandidate))})
	ts.Check(err)
	// The newest: an earlier run's image of the candidate may hold
	// an older source.
	id, created := "", int64(0)
	for _, im := range is {
		if strings.HasPrefix(im.Labels[docker.LabelCandidate], candidate) && im.Created >= created {
			id, created = im.ID, im.Created
		}
	}
	if id == "" {
		ts.Fatalf("no image of candidate %s (the %s lock)", candidate, args[1])
	}
	fmt.Fprintln(ts.Stdout(), id)
}
