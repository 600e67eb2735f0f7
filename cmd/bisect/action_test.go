package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

// TestAction runs the GitHub Action's script (scripts/action.sh) with the
// real bisect binary on PATH and a fake runner environment: on the go-mcp
// example it writes verdict, exit-code and culprit to GITHUB_OUTPUT and the
// report once to the step summary; on a lock file that is not there it
// writes verdict error and exits 1.
func TestAction(t *testing.T) {
	testenv.NeedTools(t, "bash", "awk", "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "bisect"), ".").CombinedOutput(); err != nil {
		t.Fatalf("build bisect: %v\n%s", err, out)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ex := filepath.Join(root, "examples", "go-mcp")

	run := func(t *testing.T, lockOld string) (code int, output, summary, log string) {
		t.Helper()
		d := t.TempDir()
		out, sum, tmp := filepath.Join(d, "output"), filepath.Join(d, "summary"), filepath.Join(d, "tmp")
		if err := os.Mkdir(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "action.sh"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"GITHUB_OUTPUT="+out, "GITHUB_STEP_SUMMARY="+sum, "RUNNER_TEMP="+tmp,
			"XDG_CACHE_HOME="+filepath.Join(d, "cache"),
			"INPUT_LOCK_OLD="+lockOld,
			"INPUT_LOCK_NEW="+filepath.Join(ex, "server", "go.mod"),
			"INPUT_CONFIG="+filepath.Join(ex, "bisect.yaml"),
			"INPUT_FLAGS=--drill none")
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		o, _ := os.ReadFile(out)
		s, _ := os.ReadFile(sum)
		return code, string(o), string(s), string(b)
	}

	t.Run("culprit", func(t *testing.T) {
		code, output, summary, log := run(t, filepath.Join(ex, "old", "go.mod"))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, log)
		}
		for _, want := range []string{"verdict=culprit\n", "exit-code=0\n", "culprit=example.com/schema\n"} {
			if !strings.Contains(output, want) {
				t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, output)
			}
		}
		if !strings.HasPrefix(summary, "## Dependency bisect: culprit\n") {
			t.Fatalf("the step summary does not hold the report:\n%s\n%s", summary, log)
		}
		if n := strings.Count(summary, "## Dependency bisect:"); n != 1 {
			t.Errorf("the report is in the step summary %d times:\n%s", n, summary)
		}
	})

	t.Run("bad lock", func(t *testing.T) {
		code, output, summary, log := run(t, filepath.Join(ex, "no-such", "go.mod"))
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, log)
		}
		for _, want := range []string{"verdict=error\n", "exit-code=1\n", "culprit=\n"} {
			if !strings.Contains(output, want) {
				t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, output)
			}
		}
		if !strings.Contains(summary, "exit code 1") {
			t.Errorf("the step summary does not say the run failed:\n%s", summary)
		}
	})
}
