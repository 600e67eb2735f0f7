// Package quote makes text that comes from locks, servers and logs safe
// where bisect prints it: as arguments of a shell command line (the
// rollback and workaround commands of a report) and on a terminal (progress
// lines, the verdict on stdout). Markdown has its own rules and lives in
// package reports.
package quote

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shell joins argv into one POSIX shell command line that a shell splits
// back into exactly argv: no word is expanded, substituted or split. Words
// made only of characters no shell treats specially stay bare, so that
// ordinary commands read as typed.
func Shell(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Arg(a)
	}
	return strings.Join(q, " ")
}

// Arg quotes one shell word. Inside single quotes nothing is special but
// the single quote itself, which is closed, escaped and reopened.
func Arg(s string) string {
	if s != "" && strings.IndexFunc(s, special) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// special reports a rune outside the set that no POSIX shell treats
// specially anywhere in a word (= and : only matter at a word's start in
// assignments and tilde expansion, which need a letter or ~ before them).
func special(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("@%+=:,./_-", r)
}

// Terminal makes s safe to write to a terminal as one line: control
// characters (ESC, CR, newline, DEL, C1), the bidirectional overrides that
// reorder what is shown, and bytes that are not UTF-8 are written as Go
// escapes (\x1b, \n, \u202e), so that a package name or a server's message
// can neither move the cursor, rewrite what was printed, nor pass itself
// off as another line.
func Terminal(s string) string {
	if strings.IndexFunc(s, hidden) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case hidden(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// hidden reports a rune that changes what a terminal shows instead of
// showing itself.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError
}
