package semver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

// pairs is how many (range, version) pairs the differential test draws.
const pairs = 6000

// fixedRanges are spellings that lock files and package.json hold, plus
// the corners of node-semver's grammar.
var fixedRanges = []string{
	"^1.2.3", "~1.2.3", "1.2.3", "=1.2.3", "v1.2.3", ">=1.2.3 <2.0.0", "1.x", "1.2.x", "*", "", "x",
	"^0.2.3", "^0.0.3", "^0.0", "^0", "~0", "~1", "~1.2", "~>1.2.3", "^1.2.3-beta.2", "~1.2.3-beta.2",
	"1.2.3 - 2.3.4", "1.2 - 2.3.4", "1.2.3 - 2.3", "1.2.3 - 2", "* - 2", "1.2.3-alpha - 2.0.0-rc.1",
	">1", ">1.2", "<1.2", "<=1.2", ">=1.2", "<=1", "> 1.2.3", "< 2", "^ 1.2", "~ 1.2", ">= 1.2.3 < 2",
	"1.2.3 || 2.x", "^1 || ^2 || ^3", "<1 || >2", ">=0.0.0", ">=0.0.0-0", "<0.0.0-0", ">*", "<*",
	"1.2.3+build", ">=1.2.3-alpha.1", "2.0.0-rc.1", "1.0.0-0 - 1.0.0", "latest", "git+https://x", "01.2.3",
	"1.2.03", ">=1.2.3 || <1.0.0-beta", "1.2.3 1.2.4", "^1.2.3 >=1.5.0", "~1.2.3 || ^2.0.0-alpha.3",
	"X.X", "1.X", "1.2.*", "*.*.*", ">=1.x", "<=1.2.x", ">1.x.x", "=1.x", "1 - 2", "- 1", "1 -", "||", " || 1",
}

var versions = []string{
	"0.0.0", "0.0.1", "0.0.3", "0.0.4", "0.1.0", "0.2.3", "0.2.9", "0.3.0", "1.0.0", "1.0.0-0", "1.0.0-beta",
	"1.2.2", "1.2.3", "1.2.3-alpha", "1.2.3-beta.2", "1.2.3-beta.10", "1.2.3-beta.a", "1.2.3-0", "1.2.4",
	"1.2.4-alpha", "1.3.0", "1.5.0", "1.9.9", "2.0.0", "2.0.0-0", "2.0.0-alpha.3", "2.0.0-rc.1", "2.3.4",
	"2.3.5", "2.4.0", "3.0.0", "3.1.0-beta", "10.0.0", "v1.2.3", "=1.2.3", " 1.2.3 ", "1.2", "1.2.3.4",
	"01.2.3", "1.2.3+build.5", "1.2.3-01", "9007199254740991.0.0", "9007199254740992.0.0",
}

// genRange draws a range from the grammar's parts.
func genRange(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return fixedRanges[r.IntN(len(fixedRanges))]
	}
	part := func() string {
		ops := []string{"", "^", "~", ">", ">=", "<", "<=", "=", "~>", "v", "> ", "^ "}
		comps := []string{"0", "1", "2", "3", "x", "*", "X", "10"}
		v := comps[r.IntN(len(comps))]
		for i := r.IntN(3); i > 0; i-- {
			v += "." + comps[r.IntN(len(comps))]
		}
		if strings.Count(v, ".") == 2 && r.IntN(4) == 0 {
			pre := []string{"alpha", "beta.2", "0", "rc.1", "alpha.3"}
			v += "-" + pre[r.IntN(len(pre))]
		}
		if r.IntN(6) == 0 {
			return v + " - " + versions[r.IntN(20)]
		}
		return ops[r.IntN(len(ops))] + v
	}
	var b strings.Builder
	for i := 1 + r.IntN(2); i > 0; i-- {
		if b.Len() > 0 {
			b.WriteString(" || ")
		}
		b.WriteString(part())
		if r.IntN(3) == 0 {
			b.WriteString(" " + part())
		}
	}
	return b.String()
}

// TestDifferential compares Satisfies with npm's own semver package over
// thousands of (range, version) pairs.
func TestDifferential(t *testing.T) {
	testenv.NeedTools(t, "node", "npm")
	mod, err := npmSemver()
	if err != nil {
		testenv.Missing(t, "npm's semver package", err)
	}
	t.Logf("npm's semver: %s", mod)
	r := rand.New(rand.NewPCG(17, 1))
	type pair struct{ R, V string }
	var ps []pair
	for _, rg := range fixedRanges {
		for _, v := range versions {
			ps = append(ps, pair{rg, v})
		}
	}
	for len(ps) < len(fixedRanges)*len(versions)+pairs {
		ps = append(ps, pair{genRange(r), versions[r.IntN(len(versions))]})
	}
	in, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	script := `const semver = require(process.argv[1]);
let s = ''; process.stdin.on('data', d => s += d).on('end', () => {
  const out = JSON.parse(s).map(p => semver.satisfies(p.R, p.V) ? 1 : 0);
  process.stdout.write(JSON.stringify(out));
});`
	cmd := exec.Command("node", "-e", strings.ReplaceAll(script, "satisfies(p.R, p.V)", "satisfies(p.V, p.R)"), mod)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []int
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(ps) {
		t.Fatalf("node answered %d pairs, want %d", len(want), len(ps))
	}
	bad, yes := 0, 0
	for i, p := range ps {
		got := Satisfies(p.V, p.R)
		if got {
			yes++
		}
		if got != (want[i] == 1) {
			bad++
			if bad <= 20 {
				t.Errorf("Satisfies(%q, %q) = %v, npm's semver says %v", p.V, p.R, got, !got)
			}
		}
	}
	t.Logf("%d pairs, %d satisfied, %d disagreements", len(ps), yes, bad)
	if yes < len(ps)/10 {
		t.Errorf("only %d of %d pairs satisfied: the generator is too one-sided to test much", yes, len(ps))
	}
}

// npmSemver finds the semver package npm itself loads: inside npm's own
// node_modules (node's official builds), else resolved from npm's
// directory (distributions such as Debian ship it beside npm, in node's
// global folders).
func npmSemver() (string, error) {
	root, err := exec.Command("npm", "root", "-g").Output()
	if err != nil {
		return "", err
	}
	mod := filepath.Join(strings.TrimSpace(string(root)), "npm", "node_modules", "semver")
	if _, err := os.Stat(mod); err == nil {
		return mod, nil
	}
	bin, err := exec.LookPath("npm")
	if err != nil {
		return "", err
	}
	cli, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", err
	}
	out, err := exec.Command("node", "-p", "require('path').dirname(require.resolve('semver/package.json', {paths: [process.argv[1]]}))", filepath.Dir(filepath.Dir(cli))).Output()
	if err != nil {
		return "", fmt.Errorf("semver not beside npm (%s): %w", cli, err)
	}
	return strings.TrimSpace(string(out)), nil
}
