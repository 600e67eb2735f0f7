package main

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"bisect": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := exitCode(newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx), os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs the end-to-end scenarios in testdata/script through the
// real binary. $REPO is the repository root (for the shipped examples).
// Conditions: [php] and [composer] and [docker] say whether the tool is
// there; with CI=true a missing tool fails the script that needs it.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			for _, k := range []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOFLAGS", "CI", "DOCKER_HOST"} {
				if v, ok := os.LookupEnv(k); ok {
					env.Setenv(k, v)
				}
			}
			if _, ok := os.LookupEnv("GOCACHE"); !ok {
				if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
					env.Setenv("GOCACHE", string(out[:len(out)-1]))
				}
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "php", "composer", "docker":
				_, err := exec.LookPath(cond)
				if err != nil && os.Getenv("CI") == "true" {
					t.Fatalf("CI=true but %s is not installed: the scripts that need it must run", cond)
				}
				return err == nil, nil
			}
			return false, nil
		},
		RequireExplicitExec: true,
	})
}
