package constraint

import (
	"fmt"
	"regexp"
	"strings"
)

// The patterns below transcribe composer/semver's PCRE patterns to Go's
// syntax. Three translation rules keep them faithful:
//   - PCRE's \s without the UTF flag is C isspace, which includes \v; Go's \s
//     does not, hence the explicit class.
//   - PCRE's $ also matches before a final newline; Go's $ is the very end,
//     hence eol.
//   - Go's (?i) folds U+017F (long s) to s; PCRE without UTF does not, so the
//     s of "stable" is matched case-sensitively by class.
//
// PCRE's possessive quantifiers (\d++) are written greedy: in every pattern
// the token after a digit run can never start with a digit, so giving digits
// back cannot produce a different match.
const (
	space = `\t\n\v\f\r `
	eol   = `\n?$`
)

// modifier is composer's pre-release and patch modifier pattern: a stability
// word with its number (groups 1 and 2) and a dev suffix (group 3).
func modifier(caseless bool) string {
	stable := "stable"
	if caseless {
		stable = "(?-i:[sS])table"
	}
	return `[._-]?(?:(` + stable + `|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`
}

func stabilities(caseless bool) string {
	if caseless {
		return "(?-i:[sS])table|RC|beta|alpha|dev"
	}
	return "stable|RC|beta|alpha|dev"
}

var (
	aliasRe     = regexp.MustCompile(`^([^,` + space + `]+) +as +([^,` + space + `]+)` + eol)
	flagTailRe  = regexp.MustCompile(`(?i)@(?:` + stabilities(true) + `)` + eol)
	buildRe     = regexp.MustCompile(`^([^,` + space + `+]+)\+[^` + space + `]+` + eol)
	classicalRe = regexp.MustCompile(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + modifier(true) + eol)
	dateRe      = regexp.MustCompile(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + modifier(true) + eol)
	nonDigitRe  = regexp.MustCompile(`\D`)
	devTailRe   = regexp.MustCompile(`(?i)(.*?)[.-]?dev` + eol)
	branchRe    = regexp.MustCompile(`(?i)^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?` + eol)
	refTailRe   = regexp.MustCompile(`#.+` + eol)
	stabilityRe = regexp.MustCompile(`(?i)` + modifier(true) + `(?:\+.*)?` + eol)
)

// Normalize returns composer's normalized form of a version
// (VersionParser::normalize): v7.4.9 → 7.4.9.0, 1.0-beta.2 → 1.0.0.0-beta2,
// dev-main → dev-main, 2.x-dev → 2.9999999.9999999.9999999-dev.
func Normalize(version string) (string, error) {
	n, err := normalize(version)
	if err != nil {
		return "", fmt.Errorf("composer version %q: %w", version, err)
	}
	return n, nil
}

func normalize(version string) (string, error) {
	v := phpTrim(version)
	// The common cases (1.2.3 in locks, 1.2-dev from ^1.2 and ~1.2) are
	// answered without regexps, exactly as classicalRe would.
	plain, dev := v, ""
	if strings.HasSuffix(v, "-dev") {
		plain, dev = v[:len(v)-4], "-dev"
	}
	if nums, ok := plainNumbers(plain); ok && len(nums[0]) <= 5 {
		return nums[0] + "." + orDefault(nums[1], "0") + "." + orDefault(nums[2], "0") + "." + orDefault(nums[3], "0") + dev, nil
	}
	// The guards skip patterns that cannot match; see parseSingle.
	if strings.Contains(v, "as") {
		if m := aliasRe.FindStringSubmatch(v); m != nil {
			v = m[1]
		}
	}
	if strings.IndexByte(v, '@') >= 0 {
		if loc := flagTailRe.FindStringIndex(v); loc != nil {
			v = v[:loc[0]]
		}
	}
	switch v {
	case "master", "trunk", "default":
		v = "dev-" + v
	}
	if hasPrefixFold(v, "dev-") {
		return "dev-" + v[4:], nil
	}
	if strings.IndexByte(v, '+') >= 0 {
		if m := buildRe.FindStringSubmatch(v); m != nil {
			v = m[1]
		}
	}

	var core string
	var mods []string
	if m := classicalRe.FindStringSubmatch(v); m != nil {
		core = m[1] + orDefault(m[2], ".0") + orDefault(m[3], ".0") + orDefault(m[4], ".0")
		mods = m[5:8]
	} else if m := dateRe.FindStringSubmatch(v); m != nil {
		core = nonDigitRe.ReplaceAllString(m[1], ".")
		mods = m[2:5]
	}
	if mods != nil {
		if word := mods[0]; word != "" {
			if word == "stable" {
				return core, nil
			}
			core += "-" + expandStability(word) + strings.TrimLeft(mods[1], ".-")
		}
		if mods[2] != "" {
			core += "-dev"
		}
		return core, nil
	}

	if m := devTailRe.FindStringSubmatch(v); m != nil {
		// Only a numbered branch may end in -dev; anything else had to be
		// written with a dev- prefix.
		if n := normalizeBranch(m[1]); !strings.Contains(n, "dev-") {
			return n, nil
		}
	}
	return "", fmt.Errorf("invalid version string %q", phpTrim(version))
}

// plainNumbers splits "v1.2.3" (v or V optional, one to four dot-separated
// digit runs, nothing else) into its numbers; missing ones are "".
func plainNumbers(s string) ([4]string, bool) {
	var nums [4]string
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	for i := range nums {
		j := 0
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == 0 {
			return nums, false
		}
		nums[i], s = s[:j], s[j:]
		if s == "" {
			return nums, true
		}
		if s[0] != '.' {
			return nums, false
		}
		s = s[1:]
	}
	return nums, false
}

// normalizeBranch turns a numbered branch name into its highest possible
// version (1.2.x → 1.2.9999999.9999999-dev) and any other name into dev-name.
func normalizeBranch(name string) string {
	name = phpTrim(name)
	m := branchRe.FindStringSubmatch(name)
	if m == nil {
		return "dev-" + name
	}
	v := m[1]
	for _, part := range m[2:5] {
		if part == "" {
			part = ".x"
		}
		v += strings.NewReplacer("*", "x", "X", "x").Replace(part)
	}
	return strings.ReplaceAll(v, "x", "9999999") + "-dev"
}

// parseStability is VersionParser::parseStability on a normalized version.
func parseStability(version string) string {
	v := refTailRe.ReplaceAllString(version, "")
	if strings.HasPrefix(v, "dev-") || strings.HasSuffix(v, "-dev") {
		return "dev"
	}
	m := stabilityRe.FindStringSubmatch(asciiLower(v))
	if m == nil {
		return "stable"
	}
	if m[3] != "" {
		return "dev"
	}
	switch m[1] {
	case "beta", "b":
		return "beta"
	case "alpha", "a":
		return "alpha"
	case "rc":
		return "RC"
	}
	return "stable"
}

func expandStability(s string) string {
	switch s = asciiLower(s); s {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return s
}

// phpTrim strips what PHP's trim() strips by default.
func phpTrim(s string) string { return strings.Trim(s, " \t\n\r\x00\x0b") }

// asciiLower is PHP 8's strtolower: ASCII only, byte for byte.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiLower(s[:len(prefix)]) == prefix
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
