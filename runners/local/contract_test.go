package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/lockbisect/lockbisect/runners"
	"github.com/lockbisect/lockbisect/runners/runnertest"
)

// TestContract runs the contract every runner keeps (runners/runnertest):
// the candidate is built by runner.build and served by runner.start, and
// nothing is left of it (no process of its groups, no work directory).
func TestContract(t *testing.T) {
	runnertest.Run(t, runnertest.Harness{
		Start: "./server",
		New: func(t *testing.T, c runners.Config, project string) runnertest.Runner {
			root := t.TempDir()
			r := New(c, project, Options{TempDir: root})
			return runnertest.Runner{
				Runner:  r,
				Release: func(context.Context) error { return r.Close() },
				Leftovers: func(t *testing.T, logs string, released bool) []string {
					return leftovers(t, root, logs, released)
				},
			}
		},
	})
}

// leftovers lists the process groups the logs name that still run, and
// the work directories below root: before the runner is released root may
// hold only its own directory with its owner record, after it nothing.
func leftovers(t *testing.T, root, logs string, released bool) []string {
	t.Helper()
	var left []string
	for _, m := range pgidLine.FindAllStringSubmatch(logs, -1) {
		pgid, _ := strconv.Atoi(m[1])
		if pgid <= 1 {
			t.Fatalf("process group %d in the logs", pgid)
		}
		if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
			left = append(left, fmt.Sprintf("process group %d (kill -0: %v)", pgid, err))
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		inside, err := os.ReadDir(filepath.Join(root, e.Name()))
		if released || err != nil || len(inside) != 1 || inside[0].Name() != ownerFile {
			left = append(left, "work directory "+filepath.Join(root, e.Name()))
		}
	}
	return left
}
