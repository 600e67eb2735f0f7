package testenv

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// ShellWords splits a command line the way a POSIX shell does, with
// mvdan.cc/sh's parser, and fails on anything but one simple command of
// literal words: an expansion, a substitution, a glob, a redirection or a
// second command would make the line do something else than it shows.
func ShellWords(line string) ([]string, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		return nil, fmt.Errorf("shell words of %q: %w", line, err)
	}
	if len(f.Stmts) != 1 {
		return nil, fmt.Errorf("shell words of %q: %d commands, want 1", line, len(f.Stmts))
	}
	st := f.Stmts[0]
	call, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || len(st.Redirs) > 0 || len(call.Assigns) > 0 || st.Background || st.Negated {
		return nil, fmt.Errorf("shell words of %q: not one simple command", line)
	}
	var words []string
	for _, w := range call.Args {
		var b strings.Builder
		for i, p := range w.Parts {
			switch p := p.(type) {
			case *syntax.Lit:
				lit, err := unescape(p.Value, i == 0)
				if err != nil {
					return nil, fmt.Errorf("shell words of %q: %w", line, err)
				}
				b.WriteString(lit)
			case *syntax.SglQuoted:
				if p.Dollar {
					return nil, fmt.Errorf("shell words of %q: $'…' is not POSIX", line)
				}
				b.WriteString(p.Value)
			default:
				return nil, fmt.Errorf("shell words of %q: %T is expanded", line, p)
			}
		}
		words = append(words, b.String())
	}
	return words, nil
}

// unescape resolves the backslashes of an unquoted literal and fails on a
// character that a shell would expand there.
func unescape(s string, first bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			continue
		case strings.IndexByte("*?[", c) >= 0, c == '~' && first && i == 0:
			return "", fmt.Errorf("unquoted %q is expanded", c)
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}
