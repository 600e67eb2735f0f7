package constraint

import "strings"

// Compare orders two pretty versions as composer's Comparator does, after
// normalizing both: -1 if a sorts before b, 0 if composer holds them equal,
// +1 otherwise. A dev-* branch sorts below every numbered version
// (version_compare reads "dev" as the lowest pre-release). Composer leaves two
// different dev-* branches unordered; Compare falls back to their names so
// that the result is deterministic. Composer cannot order a version it cannot
// normalize at all; Compare puts those first, by name.
func Compare(a, b string) int {
	na, errA := normalize(a)
	nb, errB := normalize(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	case isBranch(na) && isBranch(nb):
		return strings.Compare(na, nb)
	}
	return versionCompare(na, nb)
}

func isBranch(v string) bool { return strings.HasPrefix(v, "dev-") }

// versionCompare is a port of PHP's version_compare(): both strings are
// canonicalized into dot-separated parts that are all digits or all
// non-digits, then compared part by part; digits numerically, words by their
// special-form rank, a word against a number as against "#".
func versionCompare(v1, v2 string) int {
	if v1 == "" || v2 == "" {
		switch {
		case v1 == "" && v2 == "":
			return 0
		case v1 == "":
			return -1
		}
		return 1
	}
	b1, b2 := v1, v2
	if v1[0] != '#' {
		b1 = canonicalize(v1)
	}
	if v2[0] != '#' {
		b2 = canonicalize(v2)
	}
	p1, p2 := 0, 0
	more1, more2 := true, true
	cmp := 0
	for p1 < len(b1) && p2 < len(b2) && more1 && more2 {
		part1, next1 := cutPart(b1, p1)
		part2, next2 := cutPart(b2, p2)
		more1, more2 = next1 >= 0, next2 >= 0
		switch d1, d2 := startsDigit(part1), startsDigit(part2); {
		case d1 && d2:
			cmp = sign(atol(part1), atol(part2))
		case !d1 && !d2:
			cmp = compareForms(part1, part2)
		case d1:
			cmp = compareForms("#N#", part2)
		default:
			cmp = compareForms(part1, "#N#")
		}
		if cmp != 0 {
			break
		}
		if more1 {
			p1 = next1
		}
		if more2 {
			p2 = next2
		}
	}
	if cmp == 0 {
		switch {
		case more1:
			if startsDigit(b1[p1:]) {
				return 1
			}
			return versionCompare(b1[p1:], "#N#")
		case more2:
			if startsDigit(b2[p2:]) {
				return -1
			}
			return versionCompare("#N#", b2[p2:])
		}
	}
	return cmp
}

// cutPart returns the part starting at p and the offset after its dot, or -1
// when it is the last part.
func cutPart(s string, p int) (string, int) {
	if i := strings.IndexByte(s[p:], '.'); i >= 0 {
		return s[p : p+i], p + i + 1
	}
	return s[p:], -1
}

// canonicalize mirrors php_canonicalize_version: -, _ and + become dots,
// a dot separates each digit/non-digit transition, other punctuation becomes
// a dot, and runs of dots collapse. The first byte is copied as is.
func canonicalize(v string) string {
	out := []byte{v[0]}
	lp := v[0]
	for i := 1; i < len(v); i++ {
		c := v[i]
		lq := out[len(out)-1]
		switch {
		case c == '-' || c == '_' || c == '+':
			if lq != '.' {
				out = append(out, '.')
			}
		case (isNonDigit(lp) && isDigit(c)) || (isDigit(lp) && isNonDigit(c)):
			if lq != '.' {
				out = append(out, '.')
			}
			out = append(out, c)
		case !isAlnum(c):
			if lq != '.' {
				out = append(out, '.')
			}
		default:
			out = append(out, c)
		}
		lp = c
	}
	return string(out)
}

// compareForms ranks words by prefix as PHP does: dev < alpha, a < beta, b <
// RC, rc < # < pl, p; unknown words rank below all of them.
func compareForms(f1, f2 string) int {
	return sign(int64(formRank(f1)), int64(formRank(f2)))
}

var forms = []struct {
	prefix string
	rank   int
}{
	{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2},
	{"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5},
}

func formRank(f string) int {
	for _, sf := range forms {
		if strings.HasPrefix(f, sf.prefix) {
			return sf.rank
		}
	}
	return -1
}

// atol is C's strtol for a run of digits: it saturates instead of wrapping.
func atol(s string) int64 {
	const maxLong = 1<<63 - 1
	var n int64
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if n > (maxLong-d)/10 {
			return maxLong
		}
		n = n*10 + d
	}
	return n
}

func sign(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func startsDigit(s string) bool { return s != "" && isDigit(s[0]) }
func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isNonDigit(c byte) bool    { return !isDigit(c) && c != '.' }
func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
