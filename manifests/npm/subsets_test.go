package npm

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/manifeststest"
)

// TestEverySubset is the shared every-subset check
// ([manifeststest.EverySubset]), held to the real npm: every subset's
// candidate is written whether or not the static check accepts it, and
// npm ci (against the fixture registry) installs it. npm ci must install
// exactly the candidates the tool accepts, each as locked (every path at
// its version), and Validate (npm ci --dry-run --offline) must agree.
func TestEverySubset(t *testing.T) {
	if testing.Short() {
		t.Skip("installs every subset with npm ci")
	}
	p := makeProject(t)
	s := p.open(t)
	n := len(s.Diff().Units)
	if n < 6 {
		t.Fatalf("%d units; the scenario should give at least 6", n)
	}
	var mu sync.Mutex
	agreeV, subset := 0, 0
	var feasible int
	// The group returns once its parallel subtests (npm ci runs, as many
	// at once as -parallel allows) are done.
	t.Run("subsets", func(t *testing.T) {
		feasible = manifeststest.EverySubset(t, s, func(t *testing.T, applied []string, c *manifests.Candidate) {
			mu.Lock()
			subset++
			dir := filepath.Join(p.dir, fmt.Sprintf("subset-%d", subset))
			mu.Unlock()
			t.Parallel()
			accepted := c != nil
			if !accepted {
				// npm ci must refuse what the tool refuses: write it anyway.
				var err error
				if c, _, err = s.build(applied, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Write(dir); err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(filepath.Join(dir, "node_modules"))
			validate := s.Validate(t.Context(), dir, c)
			cmd := exec.Command("npm", "ci", "--ignore-scripts", "--prefer-offline")
			cmd.Dir, cmd.Env = dir, p.env
			out, npmErr := cmd.CombinedOutput()
			if accepted != (npmErr == nil) {
				t.Errorf("the static check accepts: %v, npm ci says %v\n%s", accepted, npmErr, tail(string(out)))
			}
			if npmErr == nil {
				if m := installedAsLocked(dir, c.Files["package-lock.json"]); m != "" {
					t.Errorf("npm ci installed otherwise than locked: %s", m)
				}
			}
			if (validate == nil) != (npmErr == nil) {
				t.Errorf("Validate says %v, npm ci says %v", validate, npmErr)
				return
			}
			mu.Lock()
			agreeV++
			mu.Unlock()
		})
	})
	t.Logf("%d units, %d subsets: %d feasible, %d infeasible; closure under the edges, npm ci and Validate agree on every one that did not fail above (Validate on %d)", n, 1<<n, feasible, 1<<n-feasible, agreeV)
	if feasible == 0 || feasible == 1<<n {
		t.Errorf("%d of %d subsets feasible: the scenario does not exercise coupling", feasible, 1<<n)
	}
}

// installedAsLocked compares every installed path of a lock with the
// package.json npm ci put there; "" when all match.
func installedAsLocked(dir string, lock []byte) string {
	lf, err := parseLock("candidate", lock)
	if err != nil {
		return err.Error()
	}
	var bad []string
	for path, e := range lf.entries {
		if !e.installs() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path), "package.json"))
		if err != nil {
			bad = append(bad, path+": not installed")
			continue
		}
		var m struct{ Version string }
		json.Unmarshal(b, &m)
		if m.Version != e.Version {
			bad = append(bad, fmt.Sprintf("%s: %s, locked %s", path, m.Version, e.Version))
		}
	}
	return strings.Join(bad, "; ")
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}
