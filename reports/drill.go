package reports

import (
	"strings"
	"time"

	"github.com/lockbisect/lockbisect/drill"
)

// Drill is the drill-down below the package-level culprits: for each
// single-package culprit the first bad upstream release and, where its
// repository could be cloned, the first bad commit.
type Drill struct {
	Mode     string         `json:"mode"` // release | commit: how deep it was asked to go
	Packages []DrillPackage `json:"packages"`
	// NotDrilled are the culprits left at package level, with why (a
	// coupled unit, an added or removed package).
	NotDrilled []NotDrilled `json:"not_drilled,omitempty"`
}

// NotDrilled is a culprit the drill-down did not go into.
type NotDrilled struct {
	Packages []string `json:"packages"`
	Why      string   `json:"why"`
}

// DrillPackage is the drill-down of one package that moved From → To.
type DrillPackage struct {
	Package string `json:"package"`
	From    string `json:"from"`
	To      string `json:"to"`
	// Releases are the versions strictly between From and To, oldest
	// change first, with what their probe found.
	Releases []Release `json:"releases"`
	LastGood string    `json:"last_good"` // the last release known good (From when none between)
	FirstBad string    `json:"first_bad"` // the first release known bad (To when none between)
	Exact    bool      `json:"exact"`     // no skipped release lies between them
	Answer   string    `json:"answer"`    // the release-level finding as a sentence
	Compare  string    `json:"compare,omitempty"`
	// Workaround is the command that pins the last good release.
	Workaround string `json:"workaround,omitempty"`
	// Changelog holds the CHANGELOG lines of the first bad release.
	Changelog string `json:"changelog,omitempty"`
	// Commits is the commit level; nil when it did not run, and CommitNote
	// then says why.
	Commits    *CommitDrill `json:"commits,omitempty"`
	CommitNote string       `json:"commit_note,omitempty"`
}

// Release is one version between the culprit's two versions.
type Release struct {
	Version   string `json:"version"`
	Outcome   string `json:"outcome"`             // good | bad | untestable | untested
	Retracted string `json:"retracted,omitempty"` // the retraction's rationale (Go)
	Detail    string `json:"detail,omitempty"`    // why it was untestable, or the failing check
}

// CommitDrill is the search over the upstream commits between the last good
// and the first bad release.
type CommitDrill struct {
	Repository string        `json:"repository"`
	FromTag    string        `json:"from_tag"` // the last good release's tag
	ToTag      string        `json:"to_tag"`   // the first bad release's tag
	Searched   int           `json:"searched"` // commits on the first-parent chain between them
	Tested     []CommitProbe `json:"tested"`
	LastGood   *Commit       `json:"last_good,omitempty"`
	FirstBad   *Commit       `json:"first_bad"`
	Exact      bool          `json:"exact"`
	Answer     string        `json:"answer"`
	// Merged are the commits the first bad commit brought in when it is a
	// merge, and MergedFirstBad the first bad among them where the merged
	// branch could be bisected.
	Merged         []Commit `json:"merged,omitempty"`
	MergedFirstBad *Commit  `json:"merged_first_bad,omitempty"`
	// PRs are the pull requests of the first bad commit (or of what its
	// merge brought in).
	PRs []string `json:"prs,omitempty"`
}

// CommitProbe is one commit built and judged.
type CommitProbe struct {
	Commit  Commit `json:"commit"`
	Outcome string `json:"outcome"` // good | bad | untestable
	Detail  string `json:"detail,omitempty"`
}

// Commit is an upstream commit, as the drill-down describes it.
type Commit = drill.Commit

func (m *md) drill() {
	d := m.r.Drill
	if d == nil || (len(d.Packages) == 0 && len(d.NotDrilled) == 0) {
		return
	}
	m.p("### Drill-down\n\n")
	for _, nd := range d.NotDrilled {
		m.p("Not drilled: %s: %s.\n\n", codeList(nd.Packages), text(nd.Why))
	}
	for _, p := range d.Packages {
		m.drillPackage(p)
	}
}

func (m *md) drillPackage(p DrillPackage) {
	m.p("#### %s %s → %s\n\n", code(p.Package), text(p.From), text(p.To))
	m.p("**Release:** %s", text(p.Answer))
	if s := safeURL(p.Compare); s != "" {
		m.p(" ([compare](%s))", s)
	}
	m.p("\n\n")
	if len(p.Releases) > 0 {
		m.p("| release | outcome | note |\n|---|---|---|\n")
		for _, r := range p.Releases {
			note := r.Detail
			if r.Retracted != "" {
				note = strings.TrimSpace("retracted: " + r.Retracted + "; " + note)
				note = strings.TrimSuffix(note, ";")
			}
			m.p("| %s | %s | %s |\n", text(r.Version), text(r.Outcome), text(note))
		}
		m.p("\n")
	} else {
		m.p("No release lies between %s and %s.\n\n", text(p.From), text(p.To))
	}
	if c := p.Commits; c != nil {
		m.p("**Commit:** %s\n\n", text(c.Answer))
		m.p("Searched %d commits on the first-parent chain of %s from %s to %s.\n\n", c.Searched, text(c.Repository), code(c.FromTag), code(c.ToTag))
		if fb := c.FirstBad; fb != nil {
			m.p("| first bad commit | |\n|---|---|\n")
			m.p("| hash | %s |\n| subject | %s |\n| author | %s |\n| date | %s |\n", commitRef(*fb), text(fb.Subject), text(fb.Author), fb.Date.UTC().Format(time.RFC3339))
			if fb.PR != "" {
				m.p("| pull request | %s |\n", text(fb.PR))
			}
			m.p("\n")
		}
		if len(c.Merged) > 0 {
			m.p("The merge brought in:\n\n")
			for _, mc := range c.Merged {
				mark := ""
				if c.MergedFirstBad != nil && c.MergedFirstBad.Hash == mc.Hash {
					mark = " ← first bad"
				}
				m.p("- %s %s%s\n", commitRef(mc), text(mc.Subject), mark)
			}
			m.p("\n")
		}
		if len(c.PRs) > 0 {
			m.p("Pull requests: %s.\n\n", text(strings.Join(c.PRs, ", ")))
		}
		if len(c.Tested) > 0 {
			m.p("<details><summary>Commits tested</summary>\n\n| commit | subject | outcome | note |\n|---|---|---|---|\n")
			for _, t := range c.Tested {
				m.p("| %s | %s | %s | %s |\n", commitRef(t.Commit), text(t.Commit.Subject), text(t.Outcome), text(t.Detail))
			}
			m.p("\n</details>\n\n")
		}
	} else if p.CommitNote != "" {
		m.p("Commit level not searched: %s.\n\n", text(p.CommitNote))
	}
	if p.Changelog != "" {
		// The changelog is the upstream's markdown: shown as source, so
		// that it cannot add headings or HTML to the report.
		m.p("<details><summary>CHANGELOG of %s</summary>\n\n%s\n</details>\n\n", htmlText(p.FirstBad), fenced("markdown", p.Changelog))
	}
	if p.Workaround != "" {
		m.p("Workaround until it is fixed upstream:\n\n%s\n", fenced("sh", p.Workaround))
	}
}

func commitRef(c Commit) string {
	h := c.Hash
	if len(h) > 10 {
		h = h[:10]
	}
	return link(codeCell(h), c.URL)
}
