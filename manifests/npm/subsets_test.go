package npm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lockbisect/lockbisect/manifests"
)

// TestEverySubset is the shared every-subset check: for every subset of
// units, the candidate is written whether or not the static check accepts
// it, and the real npm ci (against the fixture registry) installs it. The
// tool's feasibility must agree with npm ci's answer, and a candidate npm
// ci installs must be installed as locked (every path at its version).
// Validate (npm ci --dry-run --offline) must agree too.
func TestEverySubset(t *testing.T) {
	if testing.Short() {
		t.Skip("installs every subset with npm ci")
	}
	p := makeProject(t)
	s := p.open(t)
	units := s.Diff().Units
	n := len(units)
	if n < 6 {
		t.Fatalf("%d units; the scenario should give at least 6", n)
	}
	type result struct {
		applied          []string
		static, validate error
		npmErr           error
		npmOut, mismatch string
	}
	results := make([]result, 1<<n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for mask := range jobs {
				var applied []string
				for i, u := range units {
					if mask&(1<<i) != 0 {
						applied = append(applied, u.ID)
					}
				}
				r := &results[mask]
				r.applied = applied
				c, problems, err := s.build(applied, nil)
				if err != nil {
					r.static = err
					continue
				}
				r.static = infeasible(problems)
				dir := filepath.Join(p.dir, fmt.Sprintf("subset-%d", mask))
				if err := c.Write(dir); err != nil {
					r.npmErr = err
					continue
				}
				r.validate = s.Validate(t.Context(), dir, c)
				cmd := exec.Command("npm", "ci", "--ignore-scripts", "--prefer-offline")
				cmd.Dir, cmd.Env = dir, p.env
				out, err := cmd.CombinedOutput()
				r.npmErr, r.npmOut = err, string(out)
				if err == nil {
					r.mismatch = installedAsLocked(dir, c.Files["package-lock.json"])
				}
				os.RemoveAll(filepath.Join(dir, "node_modules"))
			}
		}()
	}
	for mask := 0; mask < 1<<n; mask++ {
		jobs <- mask
	}
	close(jobs)
	wg.Wait()
	feasible, agreeV := 0, 0
	for _, r := range results {
		if r.static != nil && !errors.Is(r.static, manifests.ErrInfeasible) {
			t.Errorf("%v: %v", r.applied, r.static)
			continue
		}
		if r.static == nil {
			feasible++
		}
		if (r.static == nil) != (r.npmErr == nil) {
			t.Errorf("applied %v: static check says %v, npm ci says %v\n%s", r.applied, r.static, r.npmErr, tail(r.npmOut))
		}
		if r.mismatch != "" {
			t.Errorf("applied %v: npm ci installed otherwise than locked: %s", r.applied, r.mismatch)
		}
		if (r.validate == nil) == (r.npmErr == nil) {
			agreeV++
		} else {
			t.Errorf("applied %v: Validate says %v, npm ci says %v", r.applied, r.validate, r.npmErr)
		}
		if closed, _ := manifests.Closed(r.applied, s.Diff().Edges); closed != (r.static == nil) {
			t.Errorf("applied %v: closed under the edges %v, but the static check says %v", r.applied, closed, r.static)
		}
	}
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
