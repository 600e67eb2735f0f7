package reports

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	gmtext "github.com/yuin/goldmark/text"

	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/internal/testenv"
	"github.com/lockbisect/lockbisect/manifests"
)

func TestEscape(t *testing.T) {
	cases := []struct {
		name, got, want string
	}{
		{"text: heading after a line break", text("a\n## b"), "a ## b"},
		{"text: heading", text("## b"), `\## b`},
		{"text: pull request", text("#42"), "#42"},
		{"text: html and pipes", text("<img src=x>|`"), "\\<img src=x>\\|\\`"},
		{"text: list", text("- x"), `\- x`},
		{"text: ordered list", text("12. x"), `12\. x`},
		{"text: version", text("1.2.0"), "1.2.0"},
		{"text: escape", text("\x1b[31mred"), `\\x1b\[31mred`},
		{"code", code("a`b"), "``a`b``"},
		{"code: backtick at the end", code("a`"), "`` a` ``"},
		{"code cell with a pipe", codeCell(`a\|b`), `a\\\|b`},
		{"link: javascript", link("x", "javascript:alert(1)"), "x"},
		{"link: parentheses and userinfo", link("x", "https://u:p@h/a)b c"), "[x](https://h/a%29b%20c)"},
		{"mermaid", mermaidText(`a"]:::x` + "\n`"), "a#34;#93;:::x #96;"},
		{"html", htmlText("</summary><b>"), "&lt;/summary&gt;&lt;b&gt;"},
		{"fence", fenced("", "```\nx"), "````\n```\nx\n````\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

// hostile is a report whose every string from a lock, a server, a log or
// an upstream repository is one of the given ones.
func hostile(name, version, detail, log string) *Report {
	r := drillReport()
	ch := func(c *manifests.Change, i int) {
		c.Package = fmt.Sprintf("%s%d", name, i)
		if c.From != "" {
			c.From = version
		}
		if c.To != "" {
			c.To = version + "x"
		}
		c.Source = "https://github.com/" + name + "/r"
	}
	for i := range r.Changes {
		ch(&r.Changes[i], i)
	}
	ids := map[string]string{}
	for i, c := range changes() {
		ids[c.Package] = r.Changes[i].Package
	}
	rename := func(list []string) {
		for i, p := range list {
			list[i] = ids[p]
		}
	}
	for i := range r.Units {
		rename(r.Units[i].Packages)
		r.Units[i].Reason = detail
	}
	for i := range r.Edges {
		r.Edges[i].Reason = detail
	}
	for i := range r.Probes {
		rename(r.Probes[i].Applied)
		r.Probes[i].FailedCheck = detail
		r.Probes[i].Detail = detail
	}
	for i := range r.Eliminated {
		r.Eliminated[i].Package = ids[r.Eliminated[i].Package]
		r.Eliminated[i].Why = detail
	}
	cu := &r.Culprits[0]
	rename(cu.Packages)
	cu.Changes = []manifests.Change{r.Changes[3]}
	cu.Rollback = [][]string{{"composer", "update", r.Changes[3].Package, "--with", r.Changes[3].Package + ":" + version}}
	cu.Evidence.Check.ID, cu.Evidence.Check.Detail, cu.Evidence.Check.Spec = detail, detail, detail
	cu.Evidence.LogTail = log
	r.Detail = detail
	r.Question.LockOld, r.Question.LockNew = name, version
	r.OldFailures = []Check{{ID: detail, Detail: detail}}
	r.Untestable = []string{name}
	d := &r.Drill.Packages[0]
	d.Package, d.From, d.To, d.Answer, d.Compare = name, version, version, detail, detail
	d.LastGood, d.FirstBad, d.Changelog = version, version, log
	d.Workaround = quote.Shell(workaroundArgv(name)...)
	for i := range d.Releases {
		d.Releases[i].Version, d.Releases[i].Detail, d.Releases[i].Retracted = version, detail, detail
	}
	c := d.Commits
	c.Repository, c.FromTag, c.ToTag, c.Answer, c.PRs = detail, version, version, detail, []string{detail}
	for _, cm := range []*Commit{c.FirstBad, c.LastGood, c.MergedFirstBad, &c.Merged[0], &c.Tested[0].Commit, &c.Tested[1].Commit} {
		cm.Subject, cm.Author, cm.URL, cm.PR = detail, name, detail, detail
	}
	r.Drill.NotDrilled[0].Packages, r.Drill.NotDrilled[0].Why = []string{name}, detail
	return r
}

// FuzzMarkdown renders a report from hostile names, versions, details and
// log lines and checks that it has the shape of the same report made of
// harmless ones (no row, cell, heading, list item, HTML, link or code block
// more or less), and that every command in a sh block is the command the
// report meant, word for word.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"acme/x\n## injected", "a|b", "<script>alert(1)</script>", "`rm -rf`", "$(touch x)", "\x1b[2J",
		"x\n|---|---|\n| a | b |", "```", "</details>", "[l](javascript:x)", "a\\|b", "- item", "1. item", "~~s~~", "**b**", "&lt;",
	} {
		f.Add(s, s, s, s)
	}
	want := shape(f, render(f, hostile("acme/pkg", "1.0.0", "a detail", "a log line")))
	f.Fuzz(func(t *testing.T, name, version, detail, log string) {
		for _, s := range []string{name, version, detail, log} {
			if strings.TrimSpace(s) == "" {
				t.Skip("an empty value leaves its section out")
			}
		}
		r := hostile(name, version, detail, log)
		md := render(t, r)
		if got := shape(t, md); !maps(got, want) {
			t.Fatalf("the report's shape changed:\n got %v\nwant %v\n%s", got, want, md)
		}
		checkRows(t, md)
		// A report shows control characters and bytes that are not UTF-8
		// as escapes, so a command whose words hold one is safe but not
		// verbatim (and no lock parser accepts such a name).
		if strings.IndexFunc(name+version, unicode.IsControl) >= 0 || !utf8.ValidString(name) || !utf8.ValidString(version) {
			return
		}
		checkCommand(t, md, workaroundArgv(name))
		for _, c := range r.Culprits {
			for _, argv := range c.Rollback {
				checkCommand(t, md, argv)
			}
		}
	})
}

// workaroundArgv is the workaround command of the hostile report, which
// the drill-down quotes when it makes it.
func workaroundArgv(name string) []string {
	return []string{"composer", "update", name, "--with", name + ":1.0.0"}
}

func render(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// shape counts the nodes of each kind that GitHub's flavour of markdown
// makes of md, links aside.
func shape(t testing.TB, md string) map[string]int {
	t.Helper()
	src := []byte(md)
	doc := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough)).Parser().Parse(gmtext.NewReader(src))
	n := map[string]int{}
	err := ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch k := node.Kind(); k {
		case ast.KindText, ast.KindString, ast.KindCodeSpan:
			// text may be split differently; its structure may not
		case ast.KindLink:
			// A link to what is not a URL is left out, so there may be
			// fewer; the ones there must lead to the web.
			if dest := string(node.(*ast.Link).Destination); !strings.HasPrefix(dest, "https://") && !strings.HasPrefix(dest, "http://") {
				t.Fatalf("a link to %q", dest)
			}
		case ast.KindHeading:
			n[fmt.Sprintf("heading %d", node.(*ast.Heading).Level)]++
		case ast.KindFencedCodeBlock:
			n["code block "+string(node.(*ast.FencedCodeBlock).Language(src))]++
		default:
			n[k.String()]++
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkRows checks that every row of every table has as many cells as its
// header row: a GFM table drops a row's extra cells silently, so the node
// count alone would not see a pipe that escaped. Cells are split as
// GitHub's parser splits them: at each "|" not consumed by a backslash
// escape (a backslash escapes the next character, a backslash included).
func checkRows(t *testing.T, md string) {
	t.Helper()
	cells := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				n++
			}
		}
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Fatalf("table row has %d delimiters, its header %d: %q", n, cells, line)
		}
	}
}

// checkCommand finds argv's line in a sh block of md and checks that a
// shell reads it as exactly argv.
func checkCommand(t *testing.T, md string, argv []string) {
	t.Helper()
	for _, block := range shBlocks(md) {
		for _, line := range strings.Split(block, "\n") {
			words, err := testenv.ShellWords(line)
			if err != nil {
				t.Fatalf("a line of a sh block: %v", err)
			}
			if slices.Equal(words, argv) {
				return
			}
		}
	}
	t.Fatalf("no sh block holds the command %q:\n%s", argv, md)
}

// shBlocks returns the bodies of the fenced sh blocks of md.
func shBlocks(md string) []string {
	src := []byte(md)
	doc := goldmark.New(goldmark.WithExtensions(extension.Table)).Parser().Parse(gmtext.NewReader(src))
	var out []string
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if fb, ok := node.(*ast.FencedCodeBlock); ok && entering && string(fb.Language(src)) == "sh" {
			var b strings.Builder
			for i := 0; i < fb.Lines().Len(); i++ {
				seg := fb.Lines().At(i)
				b.Write(seg.Value(src))
			}
			out = append(out, strings.TrimSuffix(b.String(), "\n"))
		}
		return ast.WalkContinue, nil
	})
	return out
}

// TestBriefTerminal: what the lock and the server say reaches the terminal
// with its control characters shown, never acted on, and adds no line.
func TestBriefTerminal(t *testing.T) {
	clean := hostile("acme/pkg", "1.0.0", "a detail", "log")
	evil := hostile("acme/\x1b[2J\nverdict: not-reproduced", "1.0\r.0", "\x9b31m\u202e", "log")
	var a, b bytes.Buffer
	if err := Brief(&a, clean); err != nil {
		t.Fatal(err)
	}
	if err := Brief(&b, evil); err != nil {
		t.Fatal(err)
	}
	if strings.Count(a.String(), "\n") != strings.Count(b.String(), "\n") {
		t.Errorf("hostile names changed the number of lines:\n%s", b.String())
	}
	if i := strings.IndexFunc(strings.ReplaceAll(b.String(), "\n", ""), func(r rune) bool { return unicode.IsControl(r) || r == '\u202e' }); i >= 0 {
		t.Errorf("Brief writes a control character: %q", b.String())
	}
}

// TestBriefDetailLines: a detail quoting output is shown a line per line,
// each after the first indented, so no quoted line reads as a line of
// the tool's own ("verdict: …"), and none holds a control character.
func TestBriefDetailLines(t *testing.T) {
	r := hostile("acme/pkg", "1.0.0", "a detail", "log")
	r.Verdict = "old-untestable"
	r.Detail = "the old lock could not be judged: build failed\nlast output:\nverdict: culprit\n\x1b[2Jgo: downloading example.com/a v1.0.0\n"
	var b bytes.Buffer
	if err := Brief(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"\nthe old lock could not be judged: build failed\n  last output:\n  verdict: culprit\n  \\x1b[2Jgo: downloading example.com/a v1.0.0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("Brief:\n%s\nwant the detail's lines:\n%s", out, want)
		}
	}
	if n := strings.Count(out, "\nverdict: ") + strings.Count(out[:min(len(out), 9)], "verdict: "); n != 1 {
		t.Errorf("%d lines start with verdict:\n%s", n, out)
	}
}
