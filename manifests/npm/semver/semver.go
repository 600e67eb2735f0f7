package semver

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// maxLength and maxSafe are node-semver's MAX_LENGTH and
// Number.MAX_SAFE_INTEGER: longer versions and larger components are
// invalid.
const (
	maxLength = 256
	maxSafe   = 1<<53 - 1
)

// The regular expressions are node-semver's internal/re.js in its "safe"
// form (bounded repetitions), which classes/range.js and classes/semver.js
// use; built from the same pieces so that a reader can compare them line
// by line. RE2 and JavaScript agree on these patterns: none uses a
// backreference or a lookaround, and both pick the leftmost-first
// alternative.
var (
	numericIdentifier    = `0|[1-9]\d{0,256}`
	nonNumericIdentifier = `\d{0,256}[a-zA-Z-][a-zA-Z0-9-]{0,250}`
	mainVersion          = `(` + numericIdentifier + `)\.(` + numericIdentifier + `)\.(` + numericIdentifier + `)`
	prereleaseIdentifier = `(?:` + numericIdentifier + `|` + nonNumericIdentifier + `)`
	prerelease           = `(?:-(` + prereleaseIdentifier + `(?:\.` + prereleaseIdentifier + `)*))`
	buildIdentifier      = `[a-zA-Z0-9-]{1,250}`
	build                = `(?:\+(` + buildIdentifier + `(?:\.` + buildIdentifier + `)*))`
	fullPlain            = `v?` + mainVersion + prerelease + `?` + build + `?`
	gtlt                 = `((?:<|>)?=?)`
	xrangeIdentifier     = numericIdentifier + `|x|X|\*`
	xrangePlain          = `[v=\s]*(` + xrangeIdentifier + `)(?:\.(` + xrangeIdentifier + `)(?:\.(` + xrangeIdentifier + `)(?:` + prerelease + `)?` + build + `?)?)?`
	// LOOSEPLAIN appears in COMPARATORTRIM even in strict mode.
	mainVersionLoose          = `(\d{1,256})\.(\d{1,256})\.(\d{1,256})`
	prereleaseIdentifierLoose = `(?:\d{1,256}|` + nonNumericIdentifier + `)`
	prereleaseLoose           = `(?:-?(` + prereleaseIdentifierLoose + `(?:\.` + prereleaseIdentifierLoose + `)*))`
	loosePlain                = `[v=\s]*` + mainVersionLoose + prereleaseLoose + `?` + build + `?`
	loneTilde                 = `(?:~>?)`

	reFull           = regexp.MustCompile(`^` + fullPlain + `$`)
	reXRange         = regexp.MustCompile(`^` + gtlt + `\s{0,1}` + xrangePlain + `$`)
	reTildeTrim      = regexp.MustCompile(`(\s{0,1})` + loneTilde + `\s{1,1}`)
	reTilde          = regexp.MustCompile(`^` + loneTilde + xrangePlain + `$`)
	reCaretTrim      = regexp.MustCompile(`(\s{0,1})(?:\^)\s{1,1}`)
	reCaret          = regexp.MustCompile(`^(?:\^)` + xrangePlain + `$`)
	reComparator     = regexp.MustCompile(`^` + gtlt + `\s{0,1}(` + fullPlain + `)$|^$`)
	reComparatorTrim = regexp.MustCompile(`(\s{0,1})` + gtlt + `\s{0,1}(` + loosePlain + `|` + xrangePlain + `)`)
	reHyphenRange    = regexp.MustCompile(`^\s{0,1}(` + xrangePlain + `)\s{1,1}-\s{1,1}(` + xrangePlain + `)\s{0,1}$`)
	reStar           = regexp.MustCompile(`(<|>)?=?\s{0,1}\*`)
	reGTE0           = regexp.MustCompile(`^\s{0,1}>=\s{0,1}0\.0\.0\s{0,1}$`)
	reDigits         = regexp.MustCompile(`^[0-9]+$`)
	reSpaces         = regexp.MustCompile(`\s+`)
)

// Version is a parsed semantic version. Build metadata is kept out: it
// never takes part in a comparison.
type Version struct {
	Major, Minor, Patch int64
	Pre                 []string
}

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid semver")

// Parse parses a version as node-semver's new SemVer(v) does (strict:
// an optional leading "v", surrounding whitespace trimmed).
func Parse(v string) (*Version, error) {
	if len(v) > maxLength {
		return nil, fmt.Errorf("%w: version is longer than %d characters", ErrInvalid, maxLength)
	}
	m := reFull.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return nil, fmt.Errorf("%w: version %q", ErrInvalid, v)
	}
	var out Version
	for i, p := range []*int64{&out.Major, &out.Minor, &out.Patch} {
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil || n > maxSafe {
			return nil, fmt.Errorf("%w: version %q: component too large", ErrInvalid, v)
		}
		*p = n
	}
	if m[4] != "" {
		out.Pre = strings.Split(m[4], ".")
	}
	return &out, nil
}

// String is the version as node-semver formats it (no build metadata).
func (v *Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	return s
}

// Compare returns -1, 0 or 1 as a is less than, equal to or greater than b
// in semver precedence.
func Compare(a, b *Version) int {
	for _, d := range [][2]int64{{a.Major, b.Major}, {a.Minor, b.Minor}, {a.Patch, b.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a.Pre) > 0 && len(b.Pre) == 0:
		return -1
	case len(a.Pre) == 0 && len(b.Pre) > 0:
		return 1
	}
	for i := 0; ; i++ {
		switch {
		case i >= len(a.Pre) && i >= len(b.Pre):
			return 0
		case i >= len(b.Pre):
			return 1
		case i >= len(a.Pre):
			return -1
		}
		if c := compareIdentifiers(a.Pre[i], b.Pre[i]); c != 0 {
			return c
		}
	}
}

// compareIdentifiers is node-semver's: numeric identifiers compare as
// numbers and sort before alphanumeric ones, which compare as strings.
func compareIdentifiers(a, b string) int {
	an, bn := reDigits.MatchString(a), reDigits.MatchString(b)
	switch {
	case an && bn:
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// CompareStrings compares two version strings; an invalid one sorts
// before every valid one, and two invalid ones compare as strings.
func CompareStrings(a, b string) int {
	va, ea := Parse(a)
	vb, eb := Parse(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	return Compare(va, vb)
}

// comparator is one primitive: op is "", "<", "<=", ">" or ">="; v nil
// is any version.
type comparator struct {
	op string
	v  *Version
}

func (c comparator) value() string {
	if c.v == nil {
		return ""
	}
	return c.op + c.v.String()
}

func (c comparator) test(v *Version) bool {
	if c.v == nil {
		return true
	}
	k := Compare(v, c.v)
	switch c.op {
	case "":
		return k == 0
	case "<":
		return k < 0
	case "<=":
		return k <= 0
	case ">":
		return k > 0
	default:
		return k >= 0
	}
}

// Range is a parsed node-semver range: a union of intersections of
// comparators.
type Range struct {
	raw string
	set [][]comparator
}

// String is the range as written.
func (r *Range) String() string { return r.raw }

// ParseRange parses a range as node-semver's new Range(r) does with
// default options (not loose, prereleases excluded unless named).
func ParseRange(r string) (*Range, error) {
	raw := strings.Join(strings.Fields(r), " ")
	out := &Range{raw: raw}
	for _, part := range strings.Split(raw, "||") {
		cs, err := parseSet(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%w: range %q: %v", ErrInvalid, r, err)
		}
		if len(cs) > 0 {
			out.set = append(out.set, cs)
		}
	}
	if len(out.set) == 0 {
		return nil, fmt.Errorf("%w: range %q", ErrInvalid, r)
	}
	// node-semver drops the sets that match nothing, and lets a set that
	// matches any version replace the whole union: "* || >=1.0.0-0" then
	// refuses prereleases, as npm does.
	if len(out.set) > 1 {
		first := out.set[0]
		var kept [][]comparator
		for _, cs := range out.set {
			if cs[0].value() != "<0.0.0-0" {
				kept = append(kept, cs)
			}
		}
		switch {
		case len(kept) == 0:
			kept = [][]comparator{first}
		case len(kept) > 1:
			for _, cs := range kept {
				if len(cs) == 1 && cs[0].v == nil {
					kept = [][]comparator{cs}
					break
				}
			}
		}
		out.set = kept
	}
	return out, nil
}

func parseSet(r string) ([]comparator, error) {
	r = reHyphenRange.ReplaceAllStringFunc(r, func(s string) string {
		m := reHyphenRange.FindStringSubmatch(s)
		return hyphenReplace(m)
	})
	r = reComparatorTrim.ReplaceAllString(r, "${1}${2}${3}")
	r = reTildeTrim.ReplaceAllString(r, "${1}~")
	r = reCaretTrim.ReplaceAllString(r, "${1}^")
	var parts []string
	for _, c := range strings.Split(r, " ") {
		parts = append(parts, parseComparator(c))
	}
	var list []string
	for _, c := range reSpaces.Split(strings.Join(parts, " "), -1) {
		list = append(list, reGTE0.ReplaceAllString(strings.TrimSpace(c), ""))
	}
	// Every comparator is parsed before any is judged: one invalid
	// comparator invalidates the range even beside a null set.
	var ks []comparator
	for _, c := range list {
		k, err := newComparator(c)
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	var out []comparator
	seen := map[string]int{}
	for _, k := range ks {
		if k.value() == "<0.0.0-0" {
			return []comparator{k}, nil
		}
		if i, ok := seen[k.value()]; ok {
			out[i] = k
			continue
		}
		seen[k.value()] = len(out)
		out = append(out, k)
	}
	if len(out) > 1 {
		if i, ok := seen[""]; ok {
			out = append(out[:i], out[i+1:]...)
		}
	}
	return out, nil
}

func newComparator(s string) (comparator, error) {
	s = strings.Join(strings.Fields(s), " ")
	m := reComparator.FindStringSubmatch(s)
	if m == nil {
		return comparator{}, fmt.Errorf("invalid comparator %q", s)
	}
	op := m[1]
	if op == "=" {
		op = ""
	}
	if m[2] == "" {
		return comparator{op: op}, nil
	}
	v, err := Parse(m[2])
	if err != nil {
		return comparator{}, err
	}
	return comparator{op: op, v: v}, nil
}

func isX(id string) bool { return id == "" || id == "x" || id == "X" || id == "*" }

// inc is +n + 1 in JavaScript, for the digits of one component; a number
// beyond 2^53 makes a version that Parse then refuses, as node-semver's
// constructor refuses it.
func inc(n string) string {
	k, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return n + "0"
	}
	return strconv.FormatInt(k+1, 10)
}

func parseComparator(c string) string {
	c = mapWords(c, replaceCaret)
	c = mapWords(c, replaceTilde)
	c = mapWordsRaw(c, replaceXRange)
	return reStar.ReplaceAllString(strings.TrimSpace(c), "")
}

func mapWords(c string, f func(string) string) string {
	return mapWordsRaw(strings.TrimSpace(c), f)
}

// mapWordsRaw is mapWords without the first trim: node-semver's
// replaceXRanges splits the untrimmed string.
func mapWordsRaw(c string, f func(string) string) string {
	words := reSpaces.Split(c, -1)
	for i, w := range words {
		words[i] = f(w)
	}
	return strings.Join(words, " ")
}

func replaceTilde(c string) string {
	m := reTilde.FindStringSubmatch(c)
	if m == nil {
		return c
	}
	M, mi, p, pr := m[1], m[2], m[3], m[4]
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0 <" + inc(M) + ".0.0-0"
	case isX(p):
		return ">=" + M + "." + mi + ".0 <" + M + "." + inc(mi) + ".0-0"
	case pr != "":
		return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + inc(mi) + ".0-0"
	}
	return ">=" + M + "." + mi + "." + p + " <" + M + "." + inc(mi) + ".0-0"
}

func replaceCaret(c string) string {
	m := reCaret.FindStringSubmatch(c)
	if m == nil {
		return c
	}
	M, mi, p, pr := m[1], m[2], m[3], m[4]
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0 <" + inc(M) + ".0.0-0"
	case isX(p):
		if M == "0" {
			return ">=" + M + "." + mi + ".0 <" + M + "." + inc(mi) + ".0-0"
		}
		return ">=" + M + "." + mi + ".0 <" + inc(M) + ".0.0-0"
	case pr != "":
		if M == "0" {
			if mi == "0" {
				return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + mi + "." + inc(p) + "-0"
			}
			return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + inc(mi) + ".0-0"
		}
		return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + inc(M) + ".0.0-0"
	}
	if M == "0" {
		if mi == "0" {
			return ">=" + M + "." + mi + "." + p + " <" + M + "." + mi + "." + inc(p) + "-0"
		}
		return ">=" + M + "." + mi + "." + p + " <" + M + "." + inc(mi) + ".0-0"
	}
	return ">=" + M + "." + mi + "." + p + " <" + inc(M) + ".0.0-0"
}

func replaceXRange(c string) string {
	c = strings.TrimSpace(c)
	m := reXRange.FindStringSubmatch(c)
	if m == nil {
		return c
	}
	op, M, mi, p := m[1], m[2], m[3], m[4]
	xM := isX(M)
	xm := xM || isX(mi)
	xp := xm || isX(p)
	if op == "=" && xp {
		op = ""
	}
	pr := ""
	switch {
	case xM:
		if op == ">" || op == "<" {
			return "<0.0.0-0"
		}
		return "*"
	case op != "" && xp:
		if xm {
			mi = "0"
		}
		p = "0"
		switch op {
		case ">":
			op = ">="
			if xm {
				M, mi, p = inc(M), "0", "0"
			} else {
				mi, p = inc(mi), "0"
			}
		case "<=":
			op = "<"
			if xm {
				M = inc(M)
			} else {
				mi = inc(mi)
			}
		}
		if op == "<" {
			pr = "-0"
		}
		return op + M + "." + mi + "." + p + pr
	case xm:
		return ">=" + M + ".0.0 <" + inc(M) + ".0.0-0"
	case xp:
		return ">=" + M + "." + mi + ".0 <" + M + "." + inc(mi) + ".0-0"
	}
	return c
}

func hyphenReplace(m []string) string {
	from, fM, fm, fp, fpr := m[1], m[2], m[3], m[4], m[5]
	to, tM, tm, tp, tpr := m[7], m[8], m[9], m[10], m[11]
	switch {
	case isX(fM):
		from = ""
	case isX(fm):
		from = ">=" + fM + ".0.0"
	case isX(fp):
		from = ">=" + fM + "." + fm + ".0"
	case fpr != "":
		from = ">=" + from
	default:
		from = ">=" + from
	}
	switch {
	case isX(tM):
		to = ""
	case isX(tm):
		to = "<" + inc(tM) + ".0.0-0"
	case isX(tp):
		to = "<" + tM + "." + inc(tm) + ".0-0"
	case tpr != "":
		to = "<=" + tM + "." + tm + "." + tp + "-" + tpr
	default:
		to = "<=" + to
	}
	return strings.TrimSpace(from + " " + to)
}

// Test reports whether v satisfies the range, with node-semver's
// prerelease rule: a prerelease satisfies a comparator set only when one
// of its comparators names a prerelease of the same major.minor.patch.
func (r *Range) Test(v *Version) bool {
	for _, set := range r.set {
		if testSet(set, v) {
			return true
		}
	}
	return false
}

func testSet(set []comparator, v *Version) bool {
	for _, c := range set {
		if !c.test(v) {
			return false
		}
	}
	if len(v.Pre) == 0 {
		return true
	}
	for _, c := range set {
		if c.v != nil && len(c.v.Pre) > 0 && c.v.Major == v.Major && c.v.Minor == v.Minor && c.v.Patch == v.Patch {
			return true
		}
	}
	return false
}

// Satisfies is node-semver's satisfies(version, range): false when either
// does not parse.
func Satisfies(version, rng string) bool {
	v, err := Parse(version)
	if err != nil {
		return false
	}
	r, err := ParseRange(rng)
	if err != nil {
		return false
	}
	return r.Test(v)
}
