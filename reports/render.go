package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/manifests"
)

// Diff returns the report's diff part.
func (r *Report) Diff() *manifests.Diff {
	return &manifests.Diff{Ecosystem: r.Ecosystem, Changes: r.Changes, Units: r.Units, Edges: r.Edges}
}

// JSON writes the report as indented JSON. Lists are never null, so that
// consumers can iterate without a check.
func JSON(w io.Writer, r *Report) error {
	c := *r
	c.Changes = nonNil(c.Changes)
	c.Units = nonNil(c.Units)
	c.Edges = nonNil(c.Edges)
	c.Culprits = nonNil(c.Culprits)
	c.Eliminated = nonNil(c.Eliminated)
	c.Untestable = nonNil(c.Untestable)
	c.Probes = append([]Probe{}, r.Probes...)
	for i := range c.Probes {
		c.Probes[i].Applied = nonNil(c.Probes[i].Applied)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&c)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Sentence is the verdict in one sentence.
func Sentence(r *Report) string {
	switch r.Verdict {
	case "culprit":
		var parts []string
		for _, c := range r.Culprits {
			parts = append(parts, changeList(c.Changes))
		}
		if len(parts) == 1 {
			if c := clientCheck(r.Culprits[0]); c != nil && strings.HasPrefix(c.ID, "tools.") {
				return c.Client + " rejects the server's tools because of " + parts[0] + "."
			} else if c != nil {
				return c.Client + " cannot use the server because of " + parts[0] + "."
			}
			return r.Question.fails() + " because of " + parts[0] + "."
		}
		return fmt.Sprintf("%s because of %d independent changes: %s.", r.Question.fails(), len(parts), strings.Join(parts, "; and "))
	case "not-reproduced":
		return "Not reproduced: the new lock passes the oracle, so there is nothing to bisect."
	case "old-fails":
		return "The old lock fails too: the cause is not in this diff."
	case "old-untestable":
		return "The old lock could not be judged (it did not build or start, its versions cannot be installed as written, or the oracle could not run), so nothing can be concluded from this diff."
	case "new-untestable":
		return "The new lock could not be judged (it did not build or start, or the oracle could not run), so there is nothing to bisect."
	case "flaky":
		return "Flaky: the oracle contradicted itself, so no culprit is named (see the contradicting probes)."
	case "no-changes":
		return "No changes: the two locks pin the same versions."
	}
	return "No verdict."
}

// clientCheck is the culprit's failing check when it is a client
// profile's rule: the report then names the client that breaks.
func clientCheck(c Culprit) *Check {
	if c.Evidence == nil || c.Evidence.Check == nil || c.Evidence.Check.Client == "" {
		return nil
	}
	return c.Evidence.Check
}

func changeList(cs []manifests.Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, changeText(c))
	}
	if len(s) > 1 {
		return "the combination of " + strings.Join(s, " + ")
	}
	return strings.Join(s, "")
}

func changeText(c manifests.Change) string {
	switch c.Kind {
	case manifests.Added:
		return fmt.Sprintf("%s %s (added)", c.Package, c.To)
	case manifests.Removed:
		return fmt.Sprintf("%s %s (removed)", c.Package, c.From)
	}
	return fmt.Sprintf("%s %s → %s", c.Package, c.From, c.To)
}

// Brief writes the short result printed on stdout at the end of a run,
// every line escaped for the terminal (package names and server messages
// may hold control characters).
func Brief(w io.Writer, r *Report) error {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("verdict: %s", r.Verdict)
	add("%s", Sentence(r))
	if r.Detail != "" {
		// A detail may quote output: each of its lines is a line here.
		for i, l := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
			if i > 0 {
				l = "  " + l
			}
			add("%s", l)
		}
	}
	for _, c := range r.Culprits {
		add("culprit: %s", changeList(c.Changes))
		if c.Evidence != nil && c.Evidence.Check != nil {
			add("  failing check %s: %s", c.Evidence.Check.ID, c.Evidence.Check.Detail)
		}
	}
	if r.Drill != nil {
		for _, d := range r.Drill.Packages {
			add("release: %s", d.Answer)
			switch {
			case d.Commits != nil:
				add("commit: %s", d.Commits.Answer)
			case d.CommitNote != "":
				add("commit level not searched: %s", d.CommitNote)
			}
		}
		for _, n := range r.Drill.NotDrilled {
			add("not drilled (%s): %s", strings.Join(n.Packages, ", "), n.Why)
		}
	}
	for _, f := range r.OldFailures {
		add("fails on the old lock too: %s: %s", f.ID, f.Detail)
	}
	add("%s, %.1fs", counts(r), r.Summary.Seconds)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(quote.Terminal(l) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Count is n and the noun, plural unless n is 1: "1 probe", "0 builds".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// counts is the summary's count of the work done: "12 probes, 9 builds,
// 4 rounds", without builds when nothing is built.
// A run with parallel probes says how many of them were speculative
// ("18 probes, 4 of them speculative"), which explains why the count
// differs from run to run and from the builds.
func counts(r *Report) string {
	s := Count(r.Summary.Probes, "probe")
	if n := r.Summary.Speculative; n > 0 {
		s += fmt.Sprintf(", %d of them speculative", n)
	}
	if !r.Question.Unbuilt {
		s += ", " + Count(r.Summary.Builds, "build")
	}
	s += ", " + Count(r.Summary.Rounds, "round")
	if n := r.Summary.Retried; n > 0 {
		s += fmt.Sprintf(", %d retried", n)
	}
	return s
}
