package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/reports/reportstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func changes() []manifests.Change {
	return []manifests.Change{
		{Package: "acme/log", From: "1.4.0", To: "2.0.0", Kind: manifests.Upgrade, Direct: true},
		{Package: "acme/mcp-bundle", From: "0.8.0", To: "0.9.0", Kind: manifests.Upgrade, Direct: true},
		{Package: "acme/mcp-sdk", From: "0.4.0", To: "0.5.0", Kind: manifests.Upgrade},
		{Package: "acme/schema", From: "1.1.0", To: "1.2.0", Kind: manifests.Upgrade, Source: "https://github.com/acme/schema.git"},
		{Package: "acme/util", From: "", To: "1.0.0", Kind: manifests.Added},
	}
}

func base(verdict string, code int) *Report {
	return &Report{
		Verdict:  verdict,
		ExitCode: code,
		Question: Question{LockOld: "old/composer.lock", LockNew: "server/composer.lock", Runner: "local", Oracle: "mcp", Profile: "spec",
			Command: "bisect run --lock-old old/composer.lock --lock-new server/composer.lock --config bisect.yaml"},
		Ecosystem: "composer",
		Changes:   changes(),
		Units: []manifests.Unit{
			{ID: "u1", Packages: []string{"acme/log"}},
			{ID: "u2", Packages: []string{"acme/mcp-bundle", "acme/mcp-sdk"}, Reason: "acme/mcp-bundle 0.9.0 requires acme/mcp-sdk ^0.5; acme/mcp-sdk 0.4.0 conflicts with acme/mcp-bundle >=0.9"},
			{ID: "u3", Packages: []string{"acme/schema"}},
			{ID: "u4", Packages: []string{"acme/util"}},
		},
		Edges:   []manifests.Edge{{From: "u1", To: "u4", Reason: "acme/log 2.0.0 requires acme/util ^1.0"}},
		Summary: Summary{Probes: 6, Builds: 6, Rounds: 6, Seconds: 41.5},
	}
}

func probe(round int, outcome, check string, applied ...string) Probe {
	return Probe{Round: round, Applied: applied, Outcome: outcome, Candidate: "0123456789ab", Seconds: 7, BuildSeconds: 5.5, OracleSeconds: 0.4, FailedCheck: check}
}

// reports are one per verdict, plus an interaction and an untestable group.
func fixtures() map[string]*Report {
	culprit := base("culprit", 0)
	culprit.Probes = []Probe{
		probe(1, "good", ""),
		probe(2, "bad", "tools.input-schema.properties-object", "acme/log", "acme/mcp-bundle", "acme/mcp-sdk", "acme/schema", "acme/util"),
		probe(3, "good", "", "acme/log", "acme/util"),
		probe(4, "bad", "tools.input-schema.properties-object", "acme/schema"),
		probe(5, "good", "", "acme/log", "acme/mcp-bundle", "acme/mcp-sdk", "acme/util"),
	}
	culprit.Culprits = []Culprit{{
		Packages: []string{"acme/schema"}, Units: []string{"u3"}, Changes: []manifests.Change{changes()[3]},
		Rollback: [][]string{{"composer", "update", "acme/schema", "--with", "acme/schema:1.1.0"}},
		Evidence: &Evidence{
			Check:   &Check{ID: "tools.input-schema.properties-object", Detail: `tool "search": inputSchema.properties is [] (a JSON array), want an object`, Spec: "https://modelcontextprotocol.io/specification/2025-06-18/server/tools"},
			LogTail: "[Sun Nov 29 04:00:00 2026] 127.0.0.1:50000 [200]: POST /mcp",
		},
	}}
	culprit.Eliminated = []Eliminated{
		{Package: "acme/log", Why: "applied in probe 3, which passed"},
		{Package: "acme/mcp-bundle", Why: "applied in probe 5, which passed"},
		{Package: "acme/mcp-sdk", Why: "applied in probe 5, which passed"},
		{Package: "acme/util", Why: "applied in probe 3, which passed"},
	}

	interaction := base("culprit", 0)
	interaction.Ecosystem = "gomod"
	interaction.Changes = []manifests.Change{
		{Package: "github.com/acme/a", From: "v1.0.0", To: "v1.1.0", Kind: manifests.Upgrade, Direct: true},
		{Package: "github.com/acme/b", From: "v0.3.0", To: "v0.4.0", Kind: manifests.Upgrade},
		{Package: "example.com/c", From: "v2.0.0", To: "", Kind: manifests.Removed},
	}
	interaction.Units = []manifests.Unit{{ID: "u1", Packages: []string{"github.com/acme/a"}}, {ID: "u2", Packages: []string{"github.com/acme/b"}}, {ID: "u3", Packages: []string{"example.com/c"}}}
	interaction.Edges = nil
	interaction.Question.LockOld, interaction.Question.LockNew = "v1.2.0:go.mod", "go.mod"
	interaction.Culprits = []Culprit{{Packages: []string{"github.com/acme/a", "github.com/acme/b"}, Units: []string{"u1", "u2"}, Changes: interaction.Changes[:2], Untestable: []string{"github.com/acme/b"},
		Rollback: [][]string{{"go", "get", "github.com/acme/a@v1.0.0", "github.com/acme/b@v0.3.0"}}}}
	interaction.Repositories = map[string]string{}
	for _, c := range interaction.Changes {
		interaction.Repositories[c.Package] = "https://" + c.Package
	}
	interaction.Untestable = []string{"github.com/acme/b"}
	interaction.Probes = []Probe{probe(1, "good", ""), probe(2, "bad", "initialize.protocol-version", "example.com/c", "github.com/acme/a", "github.com/acme/b"), probe(3, "untestable", "", "github.com/acme/b")}
	interaction.Probes[2].Detail = "untestable: build failed: build of candidate 0123456789ab with ../Dockerfile: The command '/bin/sh -c go build -o /out/server .' returned a non-zero code: 1\nfailing step: [build 5/5] RUN go build -o /out/server .\n# github.com/acme/b\n../b.go:3:2: undefined: a.Option"

	notReproduced := base("not-reproduced", 2)
	notReproduced.Probes = []Probe{probe(1, "good", ""), probe(2, "good", "", "acme/log", "acme/mcp-bundle", "acme/mcp-sdk", "acme/schema", "acme/util")}

	oldFails := base("old-fails", 3)
	oldFails.Question.Profile = "claude"
	oldFails.Probes = []Probe{probe(1, "bad", "claude.tool-name")}
	oldFails.OldFailures = []Check{{ID: "claude.tool-name", Detail: `tool "files.search": name does not match ^[a-zA-Z0-9_-]{1,64}$ (a dot is rejected)`}}

	flaky := base("flaky", 4)
	flaky.Probes = []Probe{probe(1, "good", ""), probe(2, "bad", "tools.list", "acme/log"), probe(3, "good", "", "acme/log")}
	flaky.Flaky = flaky.Probes[1:]

	noChanges := base("no-changes", 5)
	noChanges.Changes, noChanges.Units, noChanges.Edges = nil, nil, nil
	noChanges.Summary = Summary{}

	// A test suite judged by an exec oracle with nothing built or served.
	tests := base("culprit", 0)
	tests.Ecosystem = "gomod"
	tests.Changes = append(slices.Clone(interaction.Changes), manifests.Change{Package: "go", From: "1.22", To: "1.23", Kind: manifests.Upgrade, Direct: true, Toolchain: true})
	tests.Units = append(slices.Clone(interaction.Units), manifests.Unit{ID: "u4", Packages: []string{"go"}})
	tests.Edges = nil
	tests.Question = Question{LockOld: "HEAD~1:go.mod", LockNew: "HEAD:go.mod", Runner: "local", Oracle: "exec", Subject: SubjectTests, Unbuilt: true, OracleCommand: "bisect oracle --config bisect.yaml --dir app",
		Command: "bisect run --lock-old HEAD~1:go.mod --lock-new HEAD:go.mod --config bisect.yaml",
		Source:  &Source{Kind: SourceRevision, Revision: "HEAD", Commit: "3f2a1c9d5e6f708192a3b4c5d6e7f8091a2b3c4d", Uncommitted: 2}}
	tests.Summary = Summary{Probes: 4, Rounds: 3, Seconds: 12}
	tests.Probes = []Probe{probe(1, "good", ""), probe(2, "bad", "exec.exit", "example.com/c", "github.com/acme/a", "github.com/acme/b"), probe(3, "good", "", "github.com/acme/b"), probe(3, "bad", "exec.exit", "github.com/acme/a")}
	tests.Culprits = []Culprit{{Packages: []string{"github.com/acme/a"}, Units: []string{"u1"}, Changes: interaction.Changes[:1],
		Rollback: [][]string{{"go", "get", "github.com/acme/a@v1.0.0"}},
		Evidence: &Evidence{Check: &Check{ID: "exec.exit", Detail: "exit 1: sum_test.go:12: total = 57, want 21"},
			Output: "=== RUN   TestSum\n    sum_test.go:12: total = 57, want 21\n--- FAIL: TestSum (0.00s)\nFAIL\nFAIL\texample.com/app\t0.01s\nFAIL"}}}

	return map[string]*Report{
		"tests":   tests,
		"culprit": culprit, "interaction": interaction, "not-reproduced": notReproduced,
		"old-fails": oldFails, "flaky": flaky, "no-changes": noChanges,
	}
}

// allFixtures adds the drill-down report to the fixtures for the golden
// and schema tests.
func allFixtures() map[string]*Report {
	all := fixtures()
	all["drill"] = drillReport()
	return all
}

func TestMarkdownGolden(t *testing.T) {
	for name, r := range allFixtures() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".md")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if b.String() != string(want) {
				t.Errorf("markdown differs from %s (run go test ./reports -update and review the diff):\n%s", golden, b.String())
			}
		})
	}
}

// TestMarkdownContent pins what a maintainer must find in the report,
// independent of layout.
func TestMarkdownContent(t *testing.T) {
	f := fixtures()
	cases := []struct {
		name string
		want []string
	}{
		{"culprit", []string{"acme/schema 1.1.0 → 1.2.0", "`tools.input-schema.properties-object`", "composer update acme/schema --with acme/schema:1.1.0", "https://github.com/acme/schema/compare/1.1.0...1.2.0", "```mermaid", "Suspects eliminated", "bisect oracle --url"}},
		{"interaction", []string{"only together", "go get github.com/acme/a@v1.0.0 github.com/acme/b@v0.3.0", "could not be built or judged", "https://github.com/acme/a/compare/v1.0.0...v1.1.0", "<summary>Probe #3 (github.com/acme/b) untestable: build failed: build of candidate 0123456789ab", "failing step: [build 5/5] RUN go build -o /out/server .\n# github.com/acme/b\n../b.go:3:2: undefined: a.Option\n```"}},
		{"old-fails", []string{"The cause is not in this diff", "claude.tool-name", "a dot is rejected"}},
		{"flaky", []string{"Contradicting probes", "--repeat"}},
		{"not-reproduced", []string{"the new lock passes"}},
		{"no-changes", []string{"same versions"}},
		{"tests", []string{"The tests fail because of github.com/acme/a v1.0.0 → v1.1.0.", "runs the tests on the project", "<sub>4 probes, 3 rounds, ", "3 packages (1 direct, 2 transitive) and 1 toolchain change in 4 units", "| `go` | 1.22 | 1.23 | upgrade | toolchain |", "Oracle output, last lines", "the oracle runs them:\n\n```sh\nbisect oracle --config bisect.yaml --dir app\n```", "    sum_test.go:12: total = 57, want 21\n--- FAIL: TestSum", "| source | HEAD (3f2a1c9); the work tree's 2 uncommitted files ignored |\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, f[c.name]); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("report lacks %q", w)
				}
			}
		})
	}
}

// TestJSONSchema validates every fixture's JSON against docs/report.schema.json
// and shows that the schema rejects a report missing a contract field.
func TestJSONSchema(t *testing.T) {
	sch := compileSchema(t)
	for name, r := range allFixtures() {
		t.Run(name, func(t *testing.T) {
			if err := reportstest.ValidateJSON(sch, mustJSON(t, r)); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("missing verdict is rejected", func(t *testing.T) {
		var doc map[string]any
		if err := json.Unmarshal(mustJSON(t, fixtures()["culprit"]), &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "verdict")
		b, _ := json.Marshal(doc)
		if err := reportstest.ValidateJSON(sch, b); err == nil {
			t.Fatal("schema accepted a report without verdict")
		}
	})
}

func mustJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := reportstest.CompileSchema("../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestSourceString: the question table's words for each source.
func TestSourceString(t *testing.T) {
	hash := "3f2a1c9d5e6f708192a3b4c5d6e7f8091a2b3c4d"
	for _, tt := range []struct {
		s    Source
		want string
	}{
		{Source{Kind: SourceRevision, Revision: "HEAD", Commit: hash}, "HEAD (3f2a1c9)"},
		{Source{Kind: SourceRevision, Revision: "main~1", Commit: hash, Uncommitted: 1}, "main~1 (3f2a1c9); the work tree's 1 uncommitted file ignored"},
		{Source{Kind: SourceRevision, Revision: "3f2a1c9", Commit: hash}, "3f2a1c9"},
		{Source{Kind: SourceRevision, Revision: hash, Commit: hash}, "3f2a1c9"},
		{Source{Kind: SourceRevision, Revision: "3f2a", Commit: hash}, "3f2a1c9"},
		{Source{Kind: SourceRevision, Revision: "feed", Commit: hash}, "feed (3f2a1c9)"},
		{Source{Kind: SourceWorktree}, "work tree"},
		{Source{Kind: SourceWorktree, Uncommitted: 2}, "work tree (2 uncommitted files)"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestCounts: the summary's counts are singular for one ("1 probe, 1
// build, 1 round"), plural otherwise, and leave builds out when nothing is
// built.
func TestCounts(t *testing.T) {
	for _, tt := range []struct {
		r    Report
		want string
	}{
		{Report{Summary: Summary{Probes: 1, Builds: 1, Rounds: 1}}, "1 probe, 1 build, 1 round"},
		{Report{Summary: Summary{Probes: 0, Builds: 0, Rounds: 0}}, "0 probes, 0 builds, 0 rounds"},
		{Report{Summary: Summary{Probes: 18, Speculative: 4, Builds: 14, Rounds: 5, Retried: 1}}, "18 probes, 4 of them speculative, 14 builds, 5 rounds, 1 retried"},
		{Report{Question: Question{Unbuilt: true}, Summary: Summary{Probes: 2, Rounds: 2}}, "2 probes, 2 rounds"},
	} {
		if got := counts(&tt.r); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.r.Summary, got, tt.want)
		}
	}
}

// TestLogTitle: a culprit's log is the server's when a server was judged,
// the build's when tests ran with nothing served.
func TestLogTitle(t *testing.T) {
	for subject, want := range map[string]string{SubjectServer: "Server log, last lines", SubjectCheck: "Server log, last lines", SubjectTests: "Build log, last lines"} {
		r := fixtures()["culprit"]
		r.Question.Subject = subject
		r.Culprits[0].Evidence = &Evidence{LogTail: "go: downloading example.com/a v1.1.0"}
		var b strings.Builder
		if err := Markdown(&b, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "<summary>"+want+"</summary>") {
			t.Errorf("subject %s: no %q block in\n%s", subject, want, b.String())
		}
	}
}
