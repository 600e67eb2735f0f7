package reports

import (
	"html"
	"net/url"
	"strconv"
	"strings"

	"github.com/lockbisect/lockbisect/internal/quote"
)

// Everything a report shows that came from a lock, a server, a log or an
// upstream repository goes through one of these on its way into markdown:
// a package name is whatever the lock says, and a server's error message is
// whatever the server says. None of it may add a table row, a heading, a
// list, HTML, a link or a line to a shell command.

// oneLine folds line breaks into spaces and shows other control
// characters as escapes: markdown ends table rows, headings and list
// items at a line break.
func oneLine(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return strings.TrimSpace(quote.Terminal(s))
}

// mdSpecial are the characters that can start markup anywhere in a line;
// a backslash before ASCII punctuation shows it as is (CommonMark 2.4), also
// inside a GFM table cell, where \| is a pipe that does not end the cell.
const mdSpecial = "\\`*_[]<|&~"

// text makes s one line of plain markdown text that reads as written,
// wherever it stands in a line.
func text(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	s = b.String()
	// What opens a block only at the start of a line: a heading, a quote,
	// a list item ("-", "+", "1." or "1)" before a space) or a setext
	// underline.
	switch n := len(s) - len(strings.TrimLeft(s, "0123456789")); {
	case s == "":
	case s[0] == '>' || s[0] == '=',
		s[0] == '#' && (strings.TrimLeft(s, "#") == "" || strings.TrimLeft(s, "#")[0] == ' '),
		(s[0] == '-' || s[0] == '+') && (len(s) == 1 || s[1] == ' '):
		s = `\` + s
	case n > 0 && n < len(s) && (s[n] == '.' || s[n] == ')') && (n+1 == len(s) || s[n+1] == ' '):
		s = s[:n] + `\` + s[n:]
	}
	return s
}

// code shows s as an inline code span, outside a table. Its fence is one
// backtick longer than the longest run of backticks in s, so s cannot
// close it.
func code(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// codeCell is code inside a GFM table cell. The table splits its row
// before code spans are seen, at every pipe not escaped by a backslash,
// and a backslash escapes a backslash too: a code span cannot show "\|"
// there, so text with a pipe is shown as escaped text instead.
func codeCell(s string) string {
	if strings.Contains(s, "|") {
		return text(s)
	}
	return code(s)
}

// codeList shows each item as code, separated by commas (outside tables).
func codeList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = code(s)
	}
	return strings.Join(q, ", ")
}

// htmlText is text inside an HTML element (a <summary>): markdown does
// not apply there, HTML's escapes do.
func htmlText(s string) string {
	return html.EscapeString(oneLine(s))
}

// fenced shows body as a fenced code block whose fence body cannot close;
// control characters other than line breaks and tabs are shown as escapes.
func fenced(info, body string) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(quote.Terminal(l), `\t`, "\t")
	}
	body = strings.Join(lines, "\n")
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return fence + info + "\n" + body + "\n" + fence + "\n"
}

// link is a markdown link to u labelled with text (already markdown), or
// the label alone when u is not an http(s) URL.
func link(label, u string) string {
	if s := safeURL(u); s != "" {
		return "[" + label + "](" + s + ")"
	}
	return label
}

// safeURL returns u, without user information, with every character that
// could end a link destination or a table cell percent-encoded; "" when u
// is not an absolute http(s) URL.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	p.User = nil
	var b strings.Builder
	for _, c := range []byte(p.String()) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>"'\|`+"`", c) >= 0 {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// mermaidText is s inside a quoted mermaid node label: everything but
// plain letters, digits and a few punctuation marks becomes an entity code
// (#34; for "), so that s can neither end the label nor the code block.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" /._:@+,-()", r):
			b.WriteRune(r)
		default:
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		}
	}
	return b.String()
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
