package constraint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

const semverAutoload = "/usr/share/php/Composer/Semver/autoload.php"

type phpAnswers struct {
	Satisfies []struct {
		ConstraintError bool `json:"constraint_error"`
		VersionError    bool `json:"version_error"`
		OK              bool `json:"ok"`
	} `json:"satisfies"`
	Normalize  []*string `json:"normalize"`
	Compare    []*int    `json:"compare"`
	Intersects []*bool   `json:"intersects"`
}

// askComposer runs testdata/semver.php once for the whole batch.
func askComposer(t *testing.T, pairs [][2]string, versions []string, compare, intersects [][2]string) phpAnswers {
	t.Helper()
	testenv.NeedTools(t, "php")
	if _, err := os.Stat(semverAutoload); err != nil {
		testenv.Missing(t, "composer/semver from Debian's composer package", err)
	}
	in, err := json.Marshal(map[string]any{"satisfies": pairs, "normalize": versions, "compare": compare, "intersects": intersects})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "php", "testdata/semver.php")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php testdata/semver.php: %v\n%s", err, stderr.String())
	}
	var answers phpAnswers
	if err := json.Unmarshal(out, &answers); err != nil {
		t.Fatalf("decode php answers: %v\n%.500s", err, out)
	}
	if len(answers.Satisfies) != len(pairs) || len(answers.Normalize) != len(versions) || len(answers.Compare) != len(compare) || len(answers.Intersects) != len(intersects) {
		t.Fatalf("php answered %d/%d/%d/%d questions, asked %d/%d/%d/%d", len(answers.Satisfies), len(answers.Normalize), len(answers.Compare), len(answers.Intersects),
			len(pairs), len(versions), len(compare), len(intersects))
	}
	return answers
}

// edgeConstraints are the forms most likely to be got wrong; each is crossed
// with every version of the pool.
var edgeConstraints = []string{
	"^0.0.3", "^0.0", "^0", "^0.3", "^1.2.3", "^1.0@dev", "^1.0@beta", "^1.0-beta2", "^v1.2",
	"~1", "~1.2", "~1.2.3", "~1.2.3.4", "~1.0-beta", "~1.0@RC", "~2.x-dev", "~1.2.x-dev", "~>1.0",
	"1.2.*", "1.*", "1.2.x", "1.X", "*", "x", "v*", "*.*", "0.*", "@dev", "*@stable",
	"1 - 2", "1.0 - 2.0", "1.0.0 - 2.1.3", "1.2 - 2.0.0-beta", "1 - 2.x-dev", "0.0.1 - 0.0.3", "1.0-beta - 2",
	">=1.0 <2.0 || ^3", ">=1.0,<2.0", ">= 1.0, < 2.0 | ~3.1", ">1.0 <=1.5", "<>1.0", "!=1.0.0.0", "==1.0", "=1.0",
	"<2.0@dev", ">=1.0@alpha", ">=1.0-RC1", ">=1.0-rc1", "<1.0-p1", ">1.0.0-patch2", ">=2020.01.01",
	"dev-main", "dev-feature/x", "dev-main#abc123", "main-dev", "dev-main as 1.0.0", "1.0.x-dev as 1.0.0",
	"1.0.x-dev", "2.x-dev", "1.0.x-dev#abc", "master", "1.0.0.0", "1.2.3.4", "v7.4.9", "1.0.0+build.7",
	"1.0.0-stable", "1.0-stable-dev", ">=1.0-STABLE", "^1.0 ^1.5", "^1.0 , ^1.5", "1.0 as 2.0 || 3.0",
	"", "foo", "1.0.0.0.0", ">=", "^", "~", "1.0 -2.0", "|| 1.0", "1.0 ||", ">=1.0\t<2.0", "^1.0\n",
}

// versionPool holds versions as composer.lock writes them, plus invalid ones.
var versionPool = []string{
	"v7.4.9", "7.4.9", "7.4.8", "7.5.0-RC1", "1.0.0-beta1", "1.0.0-beta.2", "1.0.0-alpha", "1.0.0-RC3",
	"1.0.0-dev", "1.0.0-p1", "1.0.0-patch2", "1.0.0-pl1", "1.0.0", "1.0", "1", "1.0.1", "1.2.3.4", "1.2.3.5",
	"1.5.0", "1.9999999.0", "2.0.0-dev", "2.0.0-alpha1", "2.0.0", "2.0.1", "2.1.3", "2.1.4", "3.0.0", "3.1.0",
	"0.0.1", "0.0.3", "0.0.4", "0.1.0", "0.3.9", "0.4.0", "0.0.0", "dev-main", "dev-feature/x", "dev-master",
	"2.x-dev", "1.0.x-dev", "1.2.x-dev", "2020.01.01", "1.0.0+build.7", "v1.0.0-BETA1", "1.0.0-stable",
	"foo", "", "1.0.0.0.0", "master", "1.0.0-rc1", "0StABle", "1.0.0.0-stable",
}

// TestAgreesWithComposer is the differential test: every generated
// (constraint, version) pair, every normalization and every ordering must
// get composer/semver's answer.
//
// Excluded forms, each with its reason:
//   - Compare of two different dev-* branches: composer's Comparator leaves
//     them unordered (neither <, = nor >); Compare orders them by name.
//   - Numbers above 2^63-1: PHP turns them into floats when bumping a bound.
func TestAgreesWithComposer(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	var pairs [][2]string
	for _, c := range edgeConstraints {
		for _, v := range versionPool {
			pairs = append(pairs, [2]string{c, v})
		}
	}
	for range 600 {
		c := genConstraint(rng)
		for range 4 {
			pairs = append(pairs, [2]string{c, genVersion(rng)})
		}
		pairs = append(pairs, [2]string{c, versionPool[rng.IntN(len(versionPool))]})
	}

	for range 1000 {
		pairs = append(pairs, [2]string{genSoup(rng), genVersion(rng)})
	}

	var normalizeAsked []string
	normalizeAsked = append(normalizeAsked, versionPool...)
	for range 500 {
		normalizeAsked = append(normalizeAsked, genVersion(rng), genSoup(rng))
	}

	var valid []string
	for _, v := range normalizeAsked {
		if _, err := Normalize(v); err == nil {
			valid = append(valid, v)
		}
	}
	var compareAsked [][2]string
	for range 2000 {
		a, b := valid[rng.IntN(len(valid))], valid[rng.IntN(len(valid))]
		na, _ := Normalize(a)
		nb, _ := Normalize(b)
		if isBranch(na) && isBranch(nb) && na != nb {
			continue
		}
		compareAsked = append(compareAsked, [2]string{a, b})
	}

	intersectAsked := intersectPairs(rng)

	answers := askComposer(t, pairs, normalizeAsked, compareAsked, intersectAsked)

	agreed, matched, rejected := 0, 0, 0
	for i, p := range pairs {
		want := answers.Satisfies[i]
		if want.OK {
			matched++
		}
		if want.ConstraintError || want.VersionError {
			rejected++
		}
		c, err := Parse(p[0])
		_, verr := Normalize(p[1])
		switch {
		case (err != nil) != want.ConstraintError:
			t.Errorf("Parse(%q) error = %v, composer rejects it: %v", p[0], err, want.ConstraintError)
		case (verr != nil) != want.VersionError:
			t.Errorf("Normalize(%q) error = %v, composer rejects it: %v", p[1], verr, want.VersionError)
		case err == nil && verr == nil && c.Check(p[1]) != want.OK:
			t.Errorf("Parse(%q).Check(%q) = %v, composer says %v", p[0], p[1], !want.OK, want.OK)
		default:
			agreed++
		}
	}
	for i, v := range normalizeAsked {
		got, err := Normalize(v)
		want := answers.Normalize[i]
		switch {
		case want == nil && err == nil:
			t.Errorf("Normalize(%q) = %q, composer rejects it", v, got)
		case want != nil && (err != nil || got != *want):
			t.Errorf("Normalize(%q) = %q, %v; composer says %q", v, got, err, *want)
		}
	}
	for i, p := range compareAsked {
		want := answers.Compare[i]
		if got := Compare(p[0], p[1]); want == nil || got != *want {
			t.Errorf("Compare(%q, %q) = %d, composer says %v", p[0], p[1], got, fmtInt(want))
		}
	}
	met := 0
	for i, p := range intersectAsked {
		want := answers.Intersects[i]
		a, errA := Parse(p[0])
		b, errB := Parse(p[1])
		switch {
		case want == nil && errA == nil && errB == nil:
			t.Errorf("Parse(%q), Parse(%q) succeed, composer rejects one of them", p[0], p[1])
		case want == nil:
		case errA != nil || errB != nil:
			t.Errorf("Parse(%q): %v, Parse(%q): %v; composer parses both", p[0], errA, p[1], errB)
		case a.Intersects(b) != *want:
			t.Errorf("Parse(%q).Intersects(%q) = %v, composer's matches says %v", p[0], p[1], !*want, *want)
		case *want:
			met++
		}
	}
	t.Logf("satisfies: %d pairs (%d satisfied, %d rejected as invalid), %d agree; normalize: %d versions; compare: %d pairs; intersects: %d pairs (%d meet)",
		len(pairs), matched, rejected, agreed, len(normalizeAsked), len(compareAsked), len(intersectAsked), met)
	if len(pairs) < 2000 {
		t.Fatalf("only %d pairs generated, the issue asks for at least 2000", len(pairs))
	}
}

// linkConstraints are what replace and provide links hold in real locks:
// match-all, ranges, exact versions (self.version resolved to the package's
// version), branches and their aliases.
var linkConstraints = []string{
	"*", "^6.0", "<5.4", ">=5.4", "^5.4 || ^6.0", "v6.12.0", "6.12.0", "v6.13.1", "1.0.0", "1.0", "dev-main", "dev-master",
	"2.x-dev", "1.0.x-dev", "1.0.x-dev as 1.0.0", "dev-main as 2.1.0", "^1.0@dev", ">=1.0 <2.0", "<1.0", ">1.0", "<=1.0", ">=2.0",
	"!=1.0", "!=dev-main", "<2.0 || >=3.0", "^1.0 || ^2.0", "^1.0 || ^2.0 || ^3.0", ">=1.0 <2.0 || >=2.0 <3.0", "~1.2.3", "1.2.*",
	"1.0 - 2.0", "3.0.0-beta1", "^3.0@beta", "0.*", "@dev", "1.0.0-p1", ">1.0.0 <1.0.0-p1",
}

// intersectPairs crosses every edge and link constraint with every link
// constraint, and adds random pairs.
func intersectPairs(rng *rand.Rand) [][2]string {
	var pairs [][2]string
	for _, a := range append(append([]string{}, edgeConstraints...), linkConstraints...) {
		for _, b := range linkConstraints {
			pairs = append(pairs, [2]string{a, b}, [2]string{b, a})
		}
	}
	for range 3000 {
		pairs = append(pairs, [2]string{genConstraint(rng), genConstraint(rng)})
	}
	return pairs
}

func fmtInt(p *int) string {
	if p == nil {
		return "unordered"
	}
	return fmt.Sprint(*p)
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// genNumbers returns 1-4 dot-separated small numbers, biased towards the
// zeros and ones where caret and tilde rules change.
func genNumbers(rng *rand.Rand) []string {
	n := 1 + rng.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = pick(rng, "0", "0", "1", "1", "2", "3", "10")
	}
	return parts
}

var suffixes = []string{
	"", "", "", "", "-alpha1", "-beta.2", "-RC3", "-rc1", "-dev", "-p1", "-patch2", "-pl1",
	"beta", "-BETA1", "-stable", "-b2", "-a1", "alpha3", "-beta1-dev", "+build.5",
}

func genVersion(rng *rand.Rand) string {
	switch rng.IntN(12) {
	case 0:
		return pick(rng, "dev-main", "dev-master", "dev-feature/x", "dev-1.x")
	case 1:
		parts := genNumbers(rng)
		return strings.Join(parts[:min(len(parts), 1+rng.IntN(2))], ".") + pick(rng, ".x-dev", "-dev", ".*-dev")
	}
	v := strings.Join(genNumbers(rng), ".")
	return pick(rng, "", "", "", "v") + v + pick(rng, suffixes...)
}

func genSingle(rng *rand.Rand) string {
	v := strings.Join(genNumbers(rng), ".")
	switch rng.IntN(12) {
	case 0:
		return pick(rng, "^", "~") + v + pick(rng, suffixes...)
	case 1, 2:
		return "^" + v
	case 3:
		return "~" + v
	case 4:
		parts := genNumbers(rng)
		return strings.Join(parts[:min(len(parts), 3)], ".") + pick(rng, ".*", ".x", ".X", ".*.*")
	case 5:
		return genVersion(rng) + " - " + genVersion(rng)
	case 6:
		return pick(rng, "*", "x", "dev-main", "dev-feature/x", "1.0.x-dev", "2.x-dev", "dev-main as 1.0.0", "1.0.x-dev as 1.0.0")
	}
	op := pick(rng, "", "=", "==", "!=", "<>", "<", "<=", ">", ">=", ">= ", "< ")
	return op + pick(rng, "", "v") + v + pick(rng, suffixes...)
}

// genConstraint builds AND and OR combinations, sometimes with a stability
// flag on a member or on the whole.
func genConstraint(rng *rand.Rand) string {
	var ors []string
	for range 1 + rng.IntN(3) {
		var ands []string
		for range 1 + rng.IntN(2) {
			s := genSingle(rng)
			if rng.IntN(6) == 0 {
				s += pick(rng, "@dev", "@alpha", "@beta", "@RC", "@stable")
			}
			ands = append(ands, s)
		}
		ors = append(ors, strings.Join(ands, pick(rng, " ", ",", ", ")))
	}
	return strings.Join(ors, pick(rng, " || ", "||", " | "))
}

// soupTokens are the syntax's own pieces; random strings of them reach the
// corners of composer's regular expressions that well-formed input never does.
var soupTokens = []string{
	"1", "0", "2", ".", ".", "*", "x", "X", "^", "~", "-", " ", " ", ",", "|", "||", "@dev", "@beta",
	"dev", "dev-", "as", "v", "beta", "RC", "p", "pl", "stable", ">", "<", "=", "!", "#", "+", "\t", "\n",
}

func genSoup(rng *rand.Rand) string {
	var b strings.Builder
	for range 1 + rng.IntN(8) {
		b.WriteString(pick(rng, soupTokens...))
	}
	return b.String()
}
