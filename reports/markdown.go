package reports

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the report as a markdown appendix for an issue or a pull
// request.
func Markdown(w io.Writer, r *Report) error {
	var b strings.Builder
	q := r.Question
	fmt.Fprintf(&b, "## lockbisect: %s\n\n", r.Verdict)
	fmt.Fprintf(&b, "**%s** (exit code %d)\n\n", Sentence(r), r.ExitCode)
	fmt.Fprintf(&b, "| question | |\n|---|---|\n")
	fmt.Fprintf(&b, "| old lock | `%s` |\n| new lock | `%s` |\n| ecosystem | %s |\n| runner | %s |\n", q.LockOld, q.LockNew, r.Ecosystem, q.Runner)
	oracle := q.Oracle
	if q.Profile != "" {
		oracle += " (profile " + q.Profile + ")"
	}
	fmt.Fprintf(&b, "| oracle | %s |\n| changes | %d packages in %d units |\n\n", oracle, len(r.Changes), len(r.Units))

	for i, c := range r.Culprits {
		fmt.Fprintf(&b, "### Culprit %d\n\n", i+1)
		fmt.Fprintf(&b, "| package | from | to | kind |\n|---|---|---|---|\n")
		for _, ch := range c.Changes {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", ch.Package, ch.From, ch.To, ch.Kind)
		}
		b.WriteString("\n")
		for _, id := range c.Units {
			for _, u := range r.Units {
				if u.ID == id && len(u.Packages) > 1 {
					fmt.Fprintf(&b, "These packages move together (%s): %s.\n\n", u.ID, u.Reason)
				}
			}
		}
		if len(c.Untestable) > 0 {
			fmt.Fprintf(&b, "The culprit could only be narrowed to this group: %s could not be built or judged.\n\n", strings.Join(c.Untestable, ", "))
		}
		if ev := c.Evidence; ev != nil {
			if ev.Check != nil {
				fmt.Fprintf(&b, "Failing check `%s`: %s", ev.Check.ID, ev.Check.Detail)
				if ev.Check.Spec != "" {
					fmt.Fprintf(&b, " ([spec](%s))", ev.Check.Spec)
				}
				b.WriteString("\n\n")
			}
			if ev.LogTail != "" {
				fmt.Fprintf(&b, "<details><summary>server log (tail)</summary>\n\n```\n%s\n```\n\n</details>\n\n", ev.LogTail)
			}
		}
	}
	if len(r.OldFailures) > 0 {
		b.WriteString("### Fails on the old lock too\n\nThe cause is not in this diff. These fatal checks fail with the old lock:\n\n")
		for _, f := range r.OldFailures {
			fmt.Fprintf(&b, "- `%s`: %s\n", f.ID, f.Detail)
		}
		b.WriteString("\n")
	}
	if len(r.Probes) > 0 {
		b.WriteString("### Probes\n\n| # | round | applied | outcome | failing check | seconds |\n|---|---|---|---|---|---|\n")
		for i, p := range r.Probes {
			fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %.1f |\n", i+1, p.Round, appliedText(p.Applied, len(r.Changes)), p.Outcome, p.FailedCheck, p.Seconds)
		}
		b.WriteString("\n")
	}
	if len(r.Eliminated) > 0 {
		b.WriteString("### Suspects eliminated\n\n")
		for _, e := range r.Eliminated {
			fmt.Fprintf(&b, "- `%s`: %s\n", e.Package, e.Why)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "_%d probes, %d builds, %d rounds, %.1fs._\n", r.Summary.Probes, r.Summary.Builds, r.Summary.Rounds, r.Summary.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

func appliedText(applied []string, total int) string {
	switch {
	case len(applied) == 0:
		return "none (old lock)"
	case len(applied) == total:
		return fmt.Sprintf("all %d (new lock)", total)
	case len(applied) <= 3:
		return fmt.Sprintf("%d: %s", len(applied), strings.Join(applied, ", "))
	}
	return fmt.Sprintf("%d: %s, …", len(applied), strings.Join(applied[:3], ", "))
}
