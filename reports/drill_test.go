package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lockbisect/lockbisect/reports/reportstest"
)

// drillReport is the culprit fixture with a drill-down that went to the
// commit level: a skipped release, a first bad merge and the pull request
// it brought in.
func drillReport() *Report {
	r := fixtures()["culprit"]
	at := func(h int) time.Time { return time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC) }
	good := Commit{Hash: strings.Repeat("a", 40), Subject: "Document Object()", Author: "Ada", Date: at(1), URL: "https://github.com/acme/schema/commit/" + strings.Repeat("a", 40)}
	merge := Commit{Hash: strings.Repeat("b", 40), Subject: "Merge pull request #42 from ada/struct", Author: "Ada", Date: at(3), PR: "#42", Merge: true}
	side := Commit{Hash: strings.Repeat("c", 40), Subject: "Marshal a struct instead of a map", Author: "Bob", Date: at(2)}
	r.Drill = &Drill{
		Mode: "commit",
		Packages: []DrillPackage{{
			Package: "acme/schema", From: "1.1.0", To: "1.2.0",
			Releases: []Release{
				{Version: "1.1.1", Outcome: "good", Retracted: "leaks file descriptors"},
				{Version: "1.1.2", Outcome: "untestable", Detail: "acme/schema 1.1.2 requires acme/missing ^1.0"},
				{Version: "1.1.3", Outcome: "bad", Detail: "tools.input-schema.properties-object"},
			},
			LastGood: "1.1.1", FirstBad: "1.1.3", Answer: "after 1.1.1 (known good), no later than 1.1.3 (first known bad): 1.1.2 could not be tested",
			Compare:    "https://github.com/acme/schema/compare/1.1.1...1.1.3",
			Workaround: "composer update acme/schema --with acme/schema:1.1.1",
			Changelog:  "- Marshal a struct in Object() (#42)",
			Commits: &CommitDrill{
				Repository: "https://github.com/acme/schema.git", FromTag: "1.1.1", ToTag: "1.1.3", Searched: 3,
				Tested:   []CommitProbe{{Commit: good, Outcome: "good"}, {Commit: merge, Outcome: "bad"}, {Commit: side, Outcome: "bad"}},
				LastGood: &good, FirstBad: &merge, Exact: true,
				Answer:         "the first bad commit is bbbbbbbbbb (Merge pull request #42 from ada/struct)",
				Merged:         []Commit{side},
				MergedFirstBad: &side,
				PRs:            []string{"#42"},
			},
		}},
		NotDrilled: []NotDrilled{{Packages: []string{"acme/mcp-bundle", "acme/mcp-sdk"}, Why: "a coupled unit of 2 packages: no single package to pin"}},
	}
	return r
}

func TestDrillMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, drillReport()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### Drill-down",
		"after 1.1.1 (known good), no later than 1.1.3 (first known bad)",
		"| 1.1.1 | good | retracted: leaks file descriptors |",
		"| 1.1.2 | untestable | acme/schema 1.1.2 requires acme/missing ^1.0 |",
		"([compare](https://github.com/acme/schema/compare/1.1.1...1.1.3))",
		"| pull request | #42 |",
		"- `cccccccccc` Marshal a struct instead of a map ← first bad",
		"composer update acme/schema --with acme/schema:1.1.1",
		"Not drilled: `acme/mcp-bundle`, `acme/mcp-sdk`",
		"- Marshal a struct in Object() (#42)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := Markdown(&b, fixtures()["culprit"]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Drill-down") {
		t.Error("a report without a drill-down shows its section")
	}
}

func TestDrillSchema(t *testing.T) {
	sch := compileSchema(t)
	r := drillReport()
	if err := reportstest.ValidateJSON(sch, mustJSON(t, r)); err != nil {
		t.Fatal(err)
	}
	r.Drill.Packages[0].Commits.FirstBad.Hash = "not-a-hash"
	if err := reportstest.ValidateJSON(sch, mustJSON(t, r)); err == nil {
		t.Error("the schema accepts a commit hash that is not 40 hex digits")
	}
}

// TestDrillMermaid: the diagram shows the drill-down's probes in a
// subgraph of their own, after the package-level search, and leaves the
// untested releases out.
func TestDrillMermaid(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, drillReport()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, w := range []string{"  subgraph d1[\"drill-down: acme/schema\"]\n", "    d1_1[\"1.1.1<br/>good\"]:::good\n", "  end\n  p5 --> d1_1\n"} {
		if !strings.Contains(s, w) {
			t.Errorf("diagram lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s[strings.Index(s, "subgraph"):strings.Index(s, "  end\n")], "untested") {
		t.Errorf("the diagram shows an untested release")
	}
}
