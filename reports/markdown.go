package reports

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/bisect"
	"github.com/lockbisect/lockbisect/internal/quote"
	"github.com/lockbisect/lockbisect/manifests"
)

// fold is how many rows a list shows before it goes into <details>.
const fold = 10

// Markdown writes the report as a markdown appendix for an issue or a pull
// request: the question, the verdict, the culprits with their evidence, how
// to reproduce, the search probe by probe (as a table and a mermaid
// flowchart), and the suspects eliminated.
func Markdown(w io.Writer, r *Report) error {
	m := &md{r: r}
	m.header()
	m.culprits()
	m.drill()
	m.oldFails()
	m.flaky()
	m.reproduce()
	m.search()
	m.eliminated()
	m.changes()
	fmt.Fprintf(&m.b, "\n<sub>%s, %s, by lockbisect.</sub>\n", counts(r), seconds(r.Summary.Seconds))
	_, err := io.WriteString(w, m.b.String())
	return err
}

type md struct {
	r *Report
	b strings.Builder
}

func (m *md) p(format string, args ...any) { fmt.Fprintf(&m.b, format, args...) }

func (m *md) header() {
	r, q := m.r, m.r.Question
	m.p("## Dependency bisect: %s\n\n", text(r.Verdict))
	m.p("**%s** (exit code %d)\n\n", text(Sentence(r)), r.ExitCode)
	if r.Detail != "" {
		m.p("%s\n\n", text(r.Detail))
	}
	oracle := q.Oracle
	if q.Profile != "" {
		oracle += ", profile " + q.Profile
	}
	m.p("| question | |\n|---|---|\n")
	m.p("| old lock | %s |\n| new lock | %s |\n", codeCell(q.LockOld), codeCell(q.LockNew))
	if q.Source != nil {
		m.p("| source | %s |\n", text(q.Source.String()))
	}
	m.p("| ecosystem | %s |\n| runner | %s |\n| oracle | %s |\n", text(r.Ecosystem), text(q.Runner), text(oracle))
	m.p("| changes | %s in %d units |\n", changeCount(r.Changes), len(r.Units))
	if q.Command != "" {
		m.p("| command | %s |\n", codeCell(q.Command))
	}
	m.p("\n")
}

func (m *md) culprits() {
	r := m.r
	for i, c := range r.Culprits {
		title := "Culprit"
		if len(r.Culprits) > 1 {
			title = fmt.Sprintf("Culprit %d of %d", i+1, len(r.Culprits))
		}
		m.p("### %s: %s\n\n", title, text(changeList(c.Changes)))
		if len(c.Units) > 1 {
			m.p("These changes %s only together. Each unit alone:\n\n", r.Question.breaks())
			for _, id := range c.Units {
				pkgs := unitPackages(r.Units, id)
				m.p("- %s: alone %s\n", codeList(pkgs), alone(r.Probes, pkgs))
			}
			m.p("\n")
		}
		m.p("| package | from | to | kind | dependency | upstream |\n|---|---|---|---|---|---|\n")
		for _, ch := range c.Changes {
			m.p("| %s | %s | %s | %s | %s | %s |\n", codeCell(ch.Package), text(dash(ch.From)), text(dash(ch.To)), text(string(ch.Kind)), dependency(ch), compareLink(ch, r.Repositories[ch.Package]))
		}
		m.p("\n")
		for _, ch := range c.Changes {
			if ch.Retracted != "" {
				m.p("%s: %s (its author's notice).\n\n", code(ch.Package), text(ch.Retracted))
			}
		}
		for _, id := range c.Units {
			for _, u := range r.Units {
				if u.ID == id && len(u.Packages) > 1 {
					m.p("The packages of unit %s can only move together: %s.\n\n", text(u.ID), text(u.Reason))
				}
			}
		}
		if len(c.Untestable) > 0 {
			m.p("The culprit could only be narrowed to this group: whether it needs %s is not shown, because the probe that would show it could not be built or judged.\n\n", codeList(c.Untestable))
		}
		if ev := c.Evidence; ev != nil {
			if ev.Check != nil {
				m.p("**Evidence:** check %s failed: %s", code(ev.Check.ID), text(ev.Check.Detail))
				if ev.Check.Client != "" {
					m.p(" (a rule of %s, profile %s)", text(ev.Check.Client), code(ev.Check.Profile))
				}
				if s := safeURL(ev.Check.Spec); s != "" {
					m.p(" ([spec](%s))", s)
				}
				m.p("\n\n")
			}
			if ev.Output != "" {
				m.p("<details><summary>Oracle output, last lines</summary>\n\n%s\n</details>\n\n", fenced("", ev.Output))
			}
			if ev.LogTail != "" {
				// Nothing is served for tests: the log is the build's.
				log := "Server log"
				if m.r.Question.subject() == SubjectTests {
					log = "Build log"
				}
				m.p("<details><summary>%s, last lines</summary>\n\n%s\n</details>\n\n", log, fenced("", ev.LogTail))
			}
		}
	}
}

// unitPackages lists the packages of the unit with the given id.
func unitPackages(units []manifests.Unit, id string) []string {
	for _, u := range units {
		if u.ID == id {
			return u.Packages
		}
	}
	return []string{id}
}

// alone says how the candidate with exactly these packages applied was
// judged: good, untestable (which proves nothing), or not tried at all.
func alone(probes []Probe, pkgs []string) string {
	want := slices.Sorted(slices.Values(pkgs))
	verdict := "not tried"
	for i, p := range probes {
		if !slices.Equal(slices.Sorted(slices.Values(p.Applied)), want) {
			continue
		}
		switch p.Outcome {
		case "good", "bad":
			return fmt.Sprintf("%s (probe #%d)", p.Outcome, i+1)
		case "untestable":
			verdict = fmt.Sprintf("untestable (probe #%d): could not be built or judged", i+1)
		}
	}
	return verdict
}

func (m *md) oldFails() {
	if m.r.Verdict != string(bisect.OldFails) {
		return
	}
	m.p("### The old lock fails too\n\nThe cause is not in this diff: rolling every change back does not make %s pass.", m.r.Question.noun())
	if len(m.r.OldFailures) == 0 {
		m.p("\n\n")
		return
	}
	m.p(" These fatal checks fail with the old lock:\n\n")
	for _, f := range m.r.OldFailures {
		m.p("- %s: %s\n", code(f.ID), text(f.Detail))
	}
	m.p("\n")
}

func (m *md) flaky() {
	if len(m.r.Flaky) == 0 {
		return
	}
	m.p("### Contradicting probes\n\nThe same candidates were judged differently; no culprit is named rather than a wrong one. Re-run with a higher `--repeat`, or make the oracle deterministic.\n\n")
	m.probeTable(m.r.Flaky)
}

func (m *md) reproduce() {
	r := m.r
	if len(r.Culprits) == 0 {
		return
	}
	var cmds []string
	for _, c := range r.Culprits {
		if c.Reproduce != "" {
			cmds = append(cmds, c.Reproduce)
			continue
		}
		for _, argv := range c.Rollback {
			cmds = append(cmds, quote.Shell(argv...))
		}
	}
	m.p("### Reproduce\n\nTake the new lock back to good by rolling the culprit back:\n\n%s", fenced("sh", strings.Join(cmds, "\n")))
	switch {
	case r.Question.subject() == SubjectTests:
		m.p("\nSee the tests fail in the project with the new lock, as the oracle runs them:\n\n```sh\n")
	default:
		m.p("\nSee the failing check against a server built from the new lock (PORT is its port):\n\n```sh\n")
	}
	switch {
	case r.Question.OracleCommand != "":
		m.p("%s\n", r.Question.OracleCommand)
	case r.Question.Profile != "":
		// The profile of the failing rule is the quickest way to see it;
		// the run's own profiles otherwise.
		profile := r.Question.Profile
		for _, c := range r.Culprits {
			if ch := clientCheck(c); ch != nil && ch.Profile != "" {
				profile = ch.Profile
				break
			}
		}
		m.p("%s\n", quote.Shell("bisect", "oracle", "--url", "http://127.0.0.1:PORT/mcp", "--profile", profile))
	default:
		m.p("bisect oracle --url http://127.0.0.1:PORT --config bisect.yaml\n")
	}
	m.p("```\n\n")
}

func (m *md) search() {
	r := m.r
	if len(r.Probes) == 0 {
		return
	}
	m.p("### The search, probe by probe\n\n")
	what := "builds the server"
	if r.Question.Unbuilt {
		what = "runs " + r.Question.noun() + " on the project"
	}
	m.p("Each probe %s with the listed changes applied (at their new version) and every other package rolled back to the old lock.\n\n", what)
	m.mermaid()
	m.probeTable(r.Probes)
	m.untestableWhy(r.Probes)
}

// untestableWhy shows why each untestable probe could not be judged (its
// image did not build, its server did not start, its candidate could not
// be installed): the first line of the probe's detail, and the whole of it
// (the failing step, the output's last lines) folded below.
func (m *md) untestableWhy(probes []Probe) {
	for i, p := range probes {
		if p.Outcome != "untestable" || strings.TrimSpace(p.Detail) == "" {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimSpace(p.Detail), "\n")
		first = strings.TrimPrefix(first, "untestable: ")
		if r := []rune(first); len(r) > summaryRunes {
			first = string(r[:summaryRunes]) + "…"
		}
		m.p("<details><summary>Probe #%d (%s) untestable: %s</summary>\n\n%s\n</details>\n\n", i+1, htmlText(appliedShort(p.Applied, len(m.r.Changes))), htmlText(first), fenced("", strings.TrimSpace(p.Detail)))
	}
}

// summaryRunes is how much of a detail's first line a summary shows.
const summaryRunes = 160

func (m *md) mermaid() {
	r := m.r
	m.p("```mermaid\nflowchart LR\n")
	for i, p := range r.Probes {
		label := fmt.Sprintf("#%d %s<br/>%s", i+1, mermaidText(appliedShort(p.Applied, len(r.Changes))), mermaidText(p.Outcome))
		m.p("  p%d[\"%s\"]:::%s\n", i+1, label, mermaidClass(p.Outcome))
		if i > 0 {
			m.p("  p%d --> p%d\n", i, i+1)
		}
	}
	m.drillMermaid(fmt.Sprintf("p%d", len(r.Probes)))
	m.p("  classDef good fill:#d4edda,stroke:#28a745\n  classDef bad fill:#f8d7da,stroke:#dc3545\n  classDef untestable fill:#eeeeee,stroke:#999999\n  classDef error fill:#fff3cd,stroke:#ffc107\n```\n\n")
}

// drillMermaid adds the drill-down's probes, one subgraph per package
// (releases oldest first, then the commits tried), after the node last.
func (m *md) drillMermaid(last string) {
	if m.r.Drill == nil {
		return
	}
	for i, d := range m.r.Drill.Packages {
		var nodes []string
		add := func(label, outcome string) {
			id := fmt.Sprintf("d%d_%d", i+1, len(nodes)+1)
			nodes = append(nodes, fmt.Sprintf("    %s[\"%s<br/>%s\"]:::%s\n", id, mermaidText(label), mermaidText(outcome), mermaidClass(outcome)))
		}
		for _, rel := range d.Releases {
			if rel.Outcome != "untested" {
				add(rel.Version, rel.Outcome)
			}
		}
		if d.Commits != nil {
			for _, c := range d.Commits.Tested {
				h := c.Commit.Hash
				add(h[:min(len(h), 10)], c.Outcome)
			}
		}
		if len(nodes) == 0 {
			continue
		}
		m.p("  subgraph d%d[\"drill-down: %s\"]\n", i+1, mermaidText(d.Package))
		for j, n := range nodes {
			m.p("%s", n)
			if j > 0 {
				m.p("    d%d_%d --> d%d_%d\n", i+1, j, i+1, j+1)
			}
		}
		m.p("  end\n  %s --> d%d_1\n", last, i+1)
	}
}

// mermaidClass is the node class of an outcome; the classes are defined
// for the outcomes a probe can have.
func mermaidClass(outcome string) string {
	switch outcome {
	case "good", "bad", "untestable":
		return outcome
	}
	return "error"
}

func (m *md) probeTable(probes []Probe) {
	total := len(m.r.Changes)
	// The node column only where candidates ran elsewhere (swarm).
	nodes := slices.ContainsFunc(probes, func(p Probe) bool { return p.Node != "" })
	rows := func(ps []Probe, offset int) {
		m.p("| # | round | applied (new version) | rolled back | outcome | failing check | build | oracle | cache |")
		if nodes {
			m.p(" node |")
		}
		m.p("\n|---|---|---|---|---|---|---|---|---|")
		if nodes {
			m.p("---|")
		}
		m.p("\n")
		for i, p := range ps {
			cache := ""
			switch {
			case p.Replayed:
				cache = "journal"
			case p.Cached:
				cache = "hit"
			}
			m.p("| %d | %d | %s | %d | %s | %s | %s | %s | %s |", offset+i+1, p.Round, text(appliedShort(p.Applied, total)), total-len(p.Applied), text(outcome(p.Outcome)), codeCell(p.FailedCheck), seconds(p.BuildSeconds), seconds(p.OracleSeconds), cache)
			if nodes {
				m.p(" %s |", codeCell(p.Node))
			}
			m.p("\n")
		}
		m.p("\n")
	}
	if len(probes) <= 2*fold {
		rows(probes, 0)
		return
	}
	rows(probes[:fold], 0)
	m.p("<details><summary>%d more probes</summary>\n\n", len(probes)-fold)
	rows(probes[fold:], fold)
	m.p("</details>\n\n")
}

func (m *md) eliminated() {
	r := m.r
	if len(r.Eliminated) == 0 && len(r.Untestable) == 0 {
		return
	}
	if len(r.Eliminated) > 0 {
		m.p("### Suspects eliminated\n\n")
		if len(r.Eliminated) > fold {
			m.p("<details><summary>%d packages proven innocent</summary>\n\n", len(r.Eliminated))
		}
		for _, e := range r.Eliminated {
			m.p("- %s: %s\n", code(e.Package), text(e.Why))
		}
		if len(r.Eliminated) > fold {
			m.p("\n</details>\n")
		}
		m.p("\n")
	}
	if len(r.Untestable) > 0 {
		m.p("### Could not be judged\n\nThese packages could not be built or started in any candidate that would have judged them: %s.\n\n", codeList(r.Untestable))
	}
}

// changes lists every change with its unit, and why units were merged or
// must be applied together.
func (m *md) changes() {
	r := m.r
	if len(r.Changes) == 0 {
		return
	}
	unitOf := map[string]string{}
	for _, u := range r.Units {
		for _, p := range u.Packages {
			unitOf[p] = u.ID
		}
	}
	m.p("### The changes\n\n<details><summary>%s in %d units</summary>\n\n", changeCount(r.Changes), len(r.Units))
	m.p("| package | from | to | kind | dependency | unit |\n|---|---|---|---|---|---|\n")
	for _, c := range r.Changes {
		m.p("| %s | %s | %s | %s | %s | %s |\n", codeCell(c.Package), text(dash(c.From)), text(dash(c.To)), text(string(c.Kind)), dependency(c), text(unitOf[c.Package]))
	}
	m.p("\n")
	for _, u := range r.Units {
		if len(u.Packages) > 1 {
			m.p("- %s moves %d packages together: %s.\n", text(u.ID), len(u.Packages), text(u.BriefReason(3)))
		}
	}
	for _, e := range r.Edges {
		m.p("- applying %s needs %s: %s.\n", text(e.From), text(e.To), text(e.Reason))
	}
	m.p("\n</details>\n\n")
}

func outcome(o string) string {
	switch o {
	case "good":
		return "✅ good"
	case "bad":
		return "❌ bad"
	case "untestable":
		return "⚠️ untestable"
	}
	return o
}

func appliedShort(applied []string, total int) string {
	switch {
	case len(applied) == 0:
		return "none (old lock)"
	case len(applied) == total:
		return fmt.Sprintf("all %d (new lock)", total)
	case len(applied) <= 3:
		return strings.Join(applied, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(applied[:2], ", "), len(applied)-2)
}

func dependency(c manifests.Change) string {
	if c.Toolchain {
		return "toolchain"
	}
	s := "transitive"
	if c.Direct {
		s = "direct"
	}
	if c.Dev {
		s += ", dev"
	}
	return s
}

// changeCount counts the packages, direct and transitive, and the
// toolchain changes apart: "7 packages (5 direct, 2 transitive) and 1
// toolchain change".
func changeCount(cs []manifests.Change) string {
	var direct, transitive, toolchain int
	for _, c := range cs {
		switch {
		case c.Toolchain:
			toolchain++
		case c.Direct:
			direct++
		default:
			transitive++
		}
	}
	s := fmt.Sprintf("%d packages (%d direct, %d transitive)", direct+transitive, direct, transitive)
	if toolchain > 0 {
		s += " and " + Count(toolchain, "toolchain change")
	}
	return s
}

// compareLink links the upstream changes between the two versions where the
// host is well known.
func compareLink(c manifests.Change, derived string) string {
	if c.From == "" || c.To == "" {
		return ""
	}
	repo := c.Source
	if repo == "" {
		repo = derived
	}
	u, err := url.Parse(strings.TrimSuffix(repo, ".git"))
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	base := "https://" + u.Host + "/" + url.PathEscape(parts[0]) + "/" + url.PathEscape(parts[1])
	from, to := url.PathEscape(c.From), url.PathEscape(c.To)
	switch u.Host {
	case "github.com":
		return link("compare", base+"/compare/"+from+"..."+to)
	case "gitlab.com":
		return link("compare", base+"/-/compare/"+from+"..."+to)
	case "bitbucket.org":
		return link("compare", base+"/branches/compare/"+to+"%0D"+from)
	}
	return ""
}

func seconds(s float64) string {
	if s == 0 {
		return ""
	}
	return fmt.Sprintf("%.1fs", s)
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
