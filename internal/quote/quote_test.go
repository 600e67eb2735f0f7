package quote

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lockbisect/lockbisect/internal/testenv"
)

func TestShell(t *testing.T) {
	cases := []struct {
		argv []string
		want string
	}{
		{[]string{"go", "get", "example.com/x@v1.0.0"}, "go get example.com/x@v1.0.0"},
		{[]string{"composer", "update", "acme/log", "--with", "acme/log:1.4.0"}, "composer update acme/log --with acme/log:1.4.0"},
		{[]string{"composer", "update", "$(touch x)"}, "composer update '$(touch x)'"},
		{[]string{"echo", "it's"}, `echo 'it'\''s'`},
		{[]string{"echo", ""}, "echo ''"},
		{[]string{"echo", "a\nb"}, "echo 'a\nb'"},
		{[]string{"echo", "~root"}, "echo '~root'"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := Shell(c.argv...); got != c.want {
				t.Errorf("Shell(%q) = %q, want %q", c.argv, got, c.want)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	cases := []struct{ in, want string }{
		{"acme/log 1.0.0 → 2.0.0", "acme/log 1.0.0 → 2.0.0"},
		{"\x1b[2Jx", `\x1b[2Jx`},
		{"a\nverdict: culprit", `a\nverdict: culprit`},
		{"a\rb\tc\x7f", `a\rb\tc\x7f`},
		{"\u202eevil", `\u202eevil`},
		{"\xffx", `\xffx`},
		{"\u009b2J", `\x9b2J`},
	}
	for _, c := range cases {
		if got := Terminal(c.in); got != c.want {
			t.Errorf("Terminal(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzShell checks that a shell parses every quoted command line back into
// the words it was made of, with nothing left to expand.
func FuzzShell(f *testing.F) {
	for _, s := range []string{"acme/log", "$(touch x)", "`id`", "it's", "", "a\nb", "~", "x=y", "#c", "a b", "\\", "${HOME}", "*"} {
		f.Add(s, "v1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		// A NUL cannot be in an argument of a process; the parser reads
		// UTF-8 only and takes CR LF for LF.
		if strings.ContainsAny(a+b, "\x00\r") || !utf8.ValidString(a) || !utf8.ValidString(b) {
			t.Skip()
		}
		argv := []string{"cmd", a, b + "@" + a}
		got, err := testenv.ShellWords(Shell(argv...))
		if err != nil {
			t.Fatalf("parse %q: %v", Shell(argv...), err)
		}
		if !slices.Equal(got, argv) {
			t.Fatalf("%q parses to %q, want %q", Shell(argv...), got, argv)
		}
	})
}

// FuzzTerminal checks that nothing a terminal would act on survives.
func FuzzTerminal(f *testing.F) {
	f.Add("\x1b]0;title\x07")
	f.Fuzz(func(t *testing.T, s string) {
		out := Terminal(s)
		if strings.IndexFunc(out, hidden) >= 0 {
			t.Fatalf("Terminal(%q) = %q keeps a control character", s, out)
		}
	})
}
