package main

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestManual: the README's usage block is doc.go's, every flag a usage
// line or the manual's flag list names exists on that command, and every
// flag the commands take is in the manual.
func TestManual(t *testing.T) {
	doc := readFile(t, "doc.go")
	readme := readFile(t, "../../README.md")

	var docUsage []string
	for _, l := range section(doc, "// # Usage", "// # ") {
		if u, ok := strings.CutPrefix(l, "//\t"); ok {
			docUsage = append(docUsage, strings.TrimSpace(u))
		}
	}
	block := readme[strings.Index(readme, "## Usage\n\n```\n")+len("## Usage\n\n```\n"):]
	block = block[:strings.Index(block, "```")]
	var readmeUsage []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		readmeUsage = append(readmeUsage, strings.TrimSpace(l))
	}
	if !slices.Equal(docUsage, readmeUsage) {
		t.Errorf("the README's usage block differs from doc.go's:\nREADME:\n%s\ndoc.go:\n%s", strings.Join(readmeUsage, "\n"), strings.Join(docUsage, "\n"))
	}

	root := newRootCmd(io.Discard, io.Discard)
	cmds := map[string]*cobra.Command{}
	for _, c := range root.Commands() {
		cmds[c.Name()] = c
	}
	flagRE := regexp.MustCompile(`--[a-z][a-z-]*`)
	// The usage lines: each flag exists on its command.
	cmd := ""
	for _, l := range docUsage {
		if name, ok := strings.CutPrefix(l, "bisect "); ok {
			cmd = strings.Fields(name)[0]
		}
		for _, f := range flagRE.FindAllString(l, -1) {
			if c := cmds[cmd]; c == nil || c.Flag(f[2:]) == nil {
				t.Errorf("usage of bisect %s names %s, which the command does not take", cmd, f)
			}
		}
	}
	// The flag list: per command, exactly the flags cobra knows.
	listed := map[string][]string{}
	cmd = ""
	for _, l := range section(doc, "// # Flags", "// # Exit codes") {
		if strings.HasPrefix(l, "// bisect ") {
			cmd = strings.TrimSuffix(strings.TrimPrefix(l, "// bisect "), ":")
			continue
		}
		if strings.HasPrefix(l, "// Every command") {
			cmd = ""
			continue
		}
		if f, ok := strings.CutPrefix(l, "//\t--"); ok {
			listed[cmd] = append(listed[cmd], strings.Fields(f)[0])
		} else if strings.HasPrefix(l, "//\t-") {
			listed[cmd] = append(listed[cmd], strings.TrimPrefix(strings.Fields(l[3:])[1], "--"))
		}
	}
	var global []string
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) { global = append(global, f.Name) })
	if slices.Sort(global); !slices.Equal(global, sorted(listed[""])) {
		t.Errorf("global flags: cobra has %v, the manual lists %v", global, sorted(listed[""]))
	}
	for name, c := range cmds {
		var have []string
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				have = append(have, f.Name)
			}
		})
		slices.Sort(have)
		if !slices.Equal(have, sorted(listed[name])) {
			t.Errorf("bisect %s: cobra has flags %v, the manual lists %v", name, have, sorted(listed[name]))
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the lines after the one that starts with start, up to
// the next one that starts with end.
func section(text, start, end string) []string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, start) {
			for j := i + 1; j < len(lines); j++ {
				if strings.HasPrefix(lines[j], end) {
					return lines[i+1 : j]
				}
			}
			return lines[i+1:]
		}
	}
	return nil
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
