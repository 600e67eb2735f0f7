package constraint

import (
	"fmt"
	"regexp"
	"strings"
)

// Constraint is a parsed composer version constraint: OR groups of AND-ed
// comparisons against normalized versions. It is immutable and safe for
// concurrent use.
type Constraint struct {
	text   string
	groups [][]term
}

// term is one comparison. op is "==", "!=", "<", "<=", ">", ">=", or "*" for
// composer's match-all constraint; version is normalized.
type term struct {
	op      string
	version string
}

// versionPattern is composer's constraint version: up to four numbers
// (groups 1-4), a modifier (groups 5-7) or a .x-dev branch suffix (group 8),
// and build metadata.
var versionPattern = `v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:` + modifier(true) + `|\.([xX*][.-]?dev))(?:\+[^` + space + `]+)?`

var (
	orSplitRe   = regexp.MustCompile(`[` + space + `]*\|\|?[` + space + `]*`)
	flagRe      = regexp.MustCompile(`(?i)^([^,` + space + `]*?)@(` + stabilities(true) + `)` + eol)
	refRe       = regexp.MustCompile(`(?i)^(dev-[^,` + space + `@]+?|[^,` + space + `@]+?\.x-dev)#.+` + eol)
	wildcardRe  = regexp.MustCompile(`(?i)^(v)?[xX*](\.[xX*])*` + eol)
	tildeRe     = regexp.MustCompile(`(?i)^~>?` + versionPattern + eol)
	caretRe     = regexp.MustCompile(`(?i)^\^` + versionPattern + eol)
	xRangeRe    = regexp.MustCompile(`^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+` + eol)
	hyphenRe    = regexp.MustCompile(`(?i)^(` + versionPattern + `) +- +(` + versionPattern + `)` + eol)
	branchishRe = regexp.MustCompile(`^[0-9a-zA-Z\-./]+` + eol)
	// dashModRe is matched against lower-cased text without the caseless flag,
	// exactly as composer does; that is why "-rc1" does not count as a modifier.
	dashModRe = regexp.MustCompile(`-` + modifier(false) + eol)
)

// Parse parses a composer constraint such as "^1.2", "~2.0@beta",
// ">=1.0 <2.0 || ^3", "1.0 - 2.1" or "1.0.x-dev as 1.0.0".
func Parse(s string) (*Constraint, error) {
	c := &Constraint{text: s}
	ors := []string{phpTrim(s)}
	if strings.IndexByte(s, '|') >= 0 {
		ors = orSplitRe.Split(ors[0], -1)
	}
	for _, or := range ors {
		var group []term
		for _, and := range andSplit(or) {
			terms, err := parseSingle(and)
			if err != nil {
				return nil, fmt.Errorf("composer constraint %q: %w", s, err)
			}
			group = append(group, terms...)
		}
		c.groups = append(c.groups, group)
	}
	return c, nil
}

// String returns the constraint as it was written.
func (c *Constraint) String() string { return c.text }

// Check reports whether the pretty version (as in a composer.lock "version"
// field) satisfies the constraint, as Semver::satisfies would. A version
// composer cannot normalize satisfies nothing.
func (c *Constraint) Check(version string) bool {
	v, err := normalize(version)
	if err != nil {
		return false
	}
	for _, group := range c.groups {
		if all(group, v) {
			return true
		}
	}
	return false
}

func all(group []term, v string) bool {
	for _, t := range group {
		if !t.matches(v) {
			return false
		}
	}
	return true
}

// matches is Constraint::matchSpecific against the provider "== v": branches
// are only equal or unequal to each other, never inside a range.
func (t term) matches(v string) bool {
	switch t.op {
	case "*":
		return true
	case "==":
		if isBranch(t.version) || isBranch(v) {
			return t.version == v
		}
		return versionCompare(t.version, v) == 0
	case "!=":
		if isBranch(t.version) || isBranch(v) {
			return t.version != v
		}
		return versionCompare(v, t.version) != 0
	}
	if isBranch(t.version) || isBranch(v) {
		return false
	}
	cmp := versionCompare(v, t.version)
	switch t.op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	}
	return cmp >= 0
}

// andSplit splits an OR group at spaces and commas the way composer's
// lookaround pattern does: not after an operator, a comma, a space or "as",
// not next to a hyphen (hyphen ranges), and not before a comma, "as" or the
// end. Go's regexp has no lookaround, so the scan is written out.
func andSplit(s string) []string {
	var parts []string
	start := 0
	for p := 1; p < len(s); p++ {
		end, ok := separatorAt(s, p)
		if !ok {
			continue
		}
		parts = append(parts, s[start:p])
		start = end
		p = end - 1
	}
	return append(parts, s[start:])
}

// separatorAt tries the AND separator " *[, ] *" starting at p with PCRE's
// backtracking order (longest runs of spaces first) and returns its end.
func separatorAt(s string, p int) (int, bool) {
	if strings.IndexByte("=>< ,", s[p-1]) >= 0 || (p >= 2 && s[p-2:p] == "as") {
		return 0, false
	}
	for q := p + spaces(s, p); q >= p; q-- {
		if q >= len(s) || (s[q] != ',' && s[q] != ' ') || s[q-1] == '-' || (q+1 < len(s) && s[q+1] == '-') {
			continue
		}
		for r := q + 1 + spaces(s, q+1); r > q; r-- {
			atEnd := r == len(s) || (r == len(s)-1 && s[r] == '\n')
			if atEnd || s[r] == ',' || strings.HasPrefix(s[r:], "as") {
				continue
			}
			return r, true
		}
	}
	return 0, false
}

func spaces(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == ' ' {
		n++
	}
	return n
}

// parseSingle is VersionParser::parseConstraint: one AND member becomes one
// or two terms.
func parseSingle(c string) ([]term, error) {
	// Each pattern is tried only when the text holds the character it cannot
	// match without; regexp matching dominates the cost of Parse.
	if strings.Contains(c, "as") {
		if m := aliasRe.FindStringSubmatch(c); m != nil {
			c = m[1]
		}
	}
	stability := ""
	if strings.IndexByte(c, '@') >= 0 {
		if m := flagRe.FindStringSubmatch(c); m != nil {
			c = orDefault(m[1], "*")
			if m[2] != "stable" {
				stability = m[2]
			}
		}
	}
	if strings.IndexByte(c, '#') >= 0 {
		if m := refRe.FindStringSubmatch(c); m != nil {
			c = m[1]
		}
	}
	if c == "" {
		return basic(c, stability)
	}
	if strings.ContainsAny(c[:1], "vVxX*") {
		if m := wildcardRe.FindStringSubmatch(c); m != nil {
			if m[1] != "" || m[2] != "" {
				return []term{{">=", "0.0.0.0-dev"}}, nil
			}
			return []term{{op: "*"}}, nil
		}
	}
	switch c[0] {
	case '~':
		if nums, ok := plainNumbers(c[1:]); ok {
			return tilde(c, plainMatch(nums))
		}
		if m := tildeRe.FindStringSubmatch(c); m != nil {
			return tilde(c, m)
		}
	case '^':
		if nums, ok := plainNumbers(c[1:]); ok {
			return caret(c, plainMatch(nums))
		}
		if m := caretRe.FindStringSubmatch(c); m != nil {
			return caret(c, m)
		}
	}
	if strings.ContainsAny(c, "xX*") {
		if m := xRangeRe.FindStringSubmatch(c); m != nil {
			return xRange(m)
		}
	}
	if strings.Contains(c, " -") {
		if m := hyphenRe.FindStringSubmatch(c); m != nil {
			return hyphen(m)
		}
	}
	return basic(c, stability)
}

// tilde: ~1.2 allows the last given number but one to grow (>=1.2 <2.0),
// ~1.2.3 likewise (>=1.2.3 <1.3); a lower bound without a stability suffix
// starts at -dev so that pre-releases of the lower version are in.
func tilde(c string, m []string) ([]term, error) {
	if strings.HasPrefix(c, "~>") {
		return nil, fmt.Errorf("%q: operator \"~>\" is not composer syntax, use \"~\"", c)
	}
	position := lastNumber(m[1:5])
	if m[8] != "" {
		position++
	}
	low, err := normalize((c + devUnlessModified(m[5], m[7], m[8]))[1:])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", c, err)
	}
	high := bump(m[1:5], max(1, position-1), true) + "-dev"
	return []term{{">=", low}, {"<", high}}, nil
}

// caret: ^1.2.3 allows everything that keeps the left-most non-zero number.
func caret(c string, m []string) ([]term, error) {
	position := 3
	switch {
	case m[1] != "0" || m[2] == "":
		position = 1
	case m[2] != "0" || m[3] == "":
		position = 2
	}
	low, err := normalize((c + devUnlessModified(m[5], m[7], m[8]))[1:])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", c, err)
	}
	high := bump(m[1:5], position, true) + "-dev"
	return []term{{">=", low}, {"<", high}}, nil
}

// xRange: 1.2.* is >=1.2.0.0-dev <1.3.0.0-dev; 0.* has no lower bound.
func xRange(m []string) ([]term, error) {
	parts := []string{m[1], m[2], m[3], ""}
	position := lastNumber(parts)
	low := bump(parts, position, false) + "-dev"
	high := bump(parts, position, true) + "-dev"
	if low == "0.0.0.0-dev" {
		return []term{{"<", high}}, nil
	}
	return []term{{">=", low}, {"<", high}}, nil
}

// hyphen: "1.0 - 2.1" includes both ends; a partial upper end (2 or 2.1
// without patch) includes everything that starts with it.
func hyphen(m []string) ([]term, error) {
	low, err := normalize(m[1])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", m[0], err)
	}
	low += devUnlessModified(m[6], m[8], m[9])
	high, err := normalize(m[10])
	if err != nil {
		return nil, fmt.Errorf("%q: %w", m[0], err)
	}
	if (m[12] != "" && m[13] != "") || m[15] != "" || m[17] != "" || m[18] != "" {
		return []term{{">=", low}, {"<=", high}}, nil
	}
	position := 2
	if m[12] == "" {
		position = 1
	}
	return []term{{">=", low}, {"<", bump(m[11:15], position, true) + "-dev"}}, nil
}

// basic: an operator (default =) and one version.
func basic(c, stability string) ([]term, error) {
	op, text := splitOperator(c)
	v, err := normalize(text)
	if err != nil && strings.HasSuffix(text, "-dev") && branchishRe.MatchString(text) {
		// "foo-dev" is composer's old spelling of dev-foo.
		v, err = normalize("dev-" + text[:len(text)-4])
	}
	if err != nil {
		return nil, fmt.Errorf("could not parse %q: %w", c, err)
	}
	if op == "" {
		op = "="
	}
	switch {
	case op != "==" && op != "=" && stability != "" && parseStability(v) == "stable":
		v += "-" + stability
	case op == "<" || op == ">=":
		// Without an explicit modifier the bound starts below every
		// pre-release of the version.
		hasModifier := strings.IndexByte(text, '-') >= 0 && dashModRe.MatchString(asciiLower(text))
		if !hasModifier && !strings.HasPrefix(text, "dev-") {
			v += "-dev"
		}
	}
	return []term{{canonicalOp(op), v}}, nil
}

// splitOperator is composer's `^(<>|!=|>=?|<=?|==?)?\s*(.*)` written out:
// the leading operator, then the text after blanks up to the first newline.
func splitOperator(c string) (op, text string) {
	for _, o := range []string{"<>", "!=", ">=", ">", "<=", "<", "==", "="} {
		if strings.HasPrefix(c, o) {
			op = o
			break
		}
	}
	text = strings.TrimLeft(c[len(op):], "\t\n\v\f\r ")
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	return op, text
}

// plainMatch is the submatch slice tildeRe and caretRe produce for a version
// of plain numbers (no modifier, no branch suffix).
func plainMatch(nums [4]string) []string {
	m := make([]string, 9)
	copy(m[1:5], nums[:])
	return m
}

func canonicalOp(op string) string {
	switch op {
	case "=":
		return "=="
	case "<>":
		return "!="
	}
	return op
}

func devUnlessModified(word, dev, xdev string) string {
	if word == "" && dev == "" && xdev == "" {
		return "-dev"
	}
	return ""
}

// lastNumber is the 1-based position of the last number given.
func lastNumber(parts []string) int {
	for i := len(parts) - 1; i > 0; i-- {
		if parts[i] != "" {
			return i + 1
		}
	}
	return 1
}

// bump is manipulateVersionString: numbers after position become 0 and,
// with increment, the number at position grows by one.
func bump(parts []string, position int, increment bool) string {
	out := make([]string, 4)
	copy(out, parts)
	for i := 4; i > 0; i-- {
		if i > position {
			out[i-1] = "0"
		} else if i == position && increment {
			out[i-1] = incrementDecimal(out[i-1])
		}
	}
	return strings.Join(out, ".")
}

// incrementDecimal adds one to a run of digits, dropping leading zeros as
// PHP's numeric conversion does.
func incrementDecimal(s string) string {
	s = strings.TrimLeft(s, "0")
	b := []byte("0" + s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			break
		}
		b[i] = '0'
	}
	return strings.TrimLeft(string(b), "0")
}
