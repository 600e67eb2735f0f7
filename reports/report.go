package reports

import (
	"fmt"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
)

// Report is everything a run found out. Its JSON shape is a contract
// (docs/contracts.md, docs/report.schema.json).
type Report struct {
	Verdict string `json:"verdict"` // culprit | not-reproduced | old-fails | old-untestable | new-untestable | flaky | no-changes
	// Detail says in a sentence why a verdict other than culprit was
	// reached (for example that the old lock could not be built at all).
	Detail    string             `json:"detail,omitempty"`
	ExitCode  int                `json:"exit_code"`
	Question  Question           `json:"question"`
	Ecosystem string             `json:"ecosystem"`
	Changes   []manifests.Change `json:"changes"`
	Units     []manifests.Unit   `json:"units"`
	Edges     []manifests.Edge   `json:"edges"`
	Culprits  []Culprit          `json:"culprits"`
	Probes    []Probe            `json:"probes"`
	// Eliminated are the packages proven innocent, each with the probe that
	// cleared it.
	Eliminated []Eliminated `json:"eliminated"`
	// Untestable are the packages that could not be judged.
	Untestable []string `json:"untestable"`
	// OldFailures are the fatal checks that fail on the old lock (old-fails).
	OldFailures []Check `json:"old_failures,omitempty"`
	// Flaky holds the contradicting probes behind a flaky verdict.
	Flaky []Probe `json:"flaky,omitempty"`
	// Drill is the drill-down below single-package culprits, when it ran.
	Drill   *Drill  `json:"drill,omitempty"`
	Summary Summary `json:"summary"`
	// Repositories maps a changed package to the repository its ecosystem
	// derives from its name, where the change records no Source (a Go
	// module path names its host); the markdown links compares there.
	Repositories map[string]string `json:"-"`
}

// Question is what was asked.
type Question struct {
	LockOld string `json:"lock_old"`
	LockNew string `json:"lock_new"`
	Runner  string `json:"runner"`
	Oracle  string `json:"oracle"`
	Profile string `json:"profile,omitempty"` // the client profiles an oracle that judges as clients (mcp) judged as, comma-separated as --profile takes them
	Command string `json:"command"`           // the bisect command line, secrets redacted
	// Subject is what the oracle judged, which sets the report's words:
	// "server" (an mcp oracle), "check" (an exec or http oracle against a
	// served candidate) or "tests" (an exec oracle with nothing served, a
	// test suite). "" = derived from Profile (an oracle that judges as
	// client profiles judges the server, else check).
	Subject string `json:"subject,omitempty"`
	// Unbuilt says that nothing is built per candidate (no runner.build,
	// no runner.start): the summary then counts probes, not builds.
	Unbuilt bool `json:"unbuilt,omitempty"`
	// OracleCommand is the bisect oracle command that judges a candidate
	// as the run did, with the config it used (PORT stands for a served
	// candidate's port); "" = mcp, whose command the report derives.
	OracleCommand string `json:"oracle_command,omitempty"`
	// Source is where the project's files came from; nil in reports of
	// runs made before it was recorded.
	Source *Source `json:"source,omitempty"`
}

// Source is where a run took the project's files from (--source).
type Source struct {
	// Kind is "revision" (a commit's tree, written out for the run; the
	// work tree was not read) or "worktree" (the files on disk, as they
	// were).
	Kind     string `json:"kind"`
	Revision string `json:"revision,omitempty"` // revision: as given (HEAD, main~1)
	Commit   string `json:"commit,omitempty"`   // revision: the commit's full hash
	// Uncommitted counts the project's files in the work tree that differ
	// from its HEAD (modified, staged, deleted, untracked): for a
	// worktree source they were built, for a revision source they were
	// ignored. 0 also when no git repository holds the project.
	Uncommitted int `json:"uncommitted,omitempty"`
}

// The kinds of Source.Kind.
const (
	SourceRevision = "revision"
	SourceWorktree = "worktree"
)

// String says where the files came from, in a few words: "main (3f2a1c9)",
// "work tree (2 uncommitted files)".
func (s Source) String() string {
	files := func(n int) string { return Count(n, "uncommitted file") }
	if s.Kind == SourceWorktree {
		if s.Uncommitted > 0 {
			return "work tree (" + files(s.Uncommitted) + ")"
		}
		return "work tree"
	}
	out := Revision(s.Revision, s.Commit)
	if s.Uncommitted > 0 {
		out += "; the work tree's " + files(s.Uncommitted) + " ignored"
	}
	return out
}

// Revision names a revision as the user gave it, with its commit's first
// 7 digits unless the name already is a prefix of the commit: "main
// (3f2a1c9)", "3f2a1c9".
func Revision(rev, commit string) string {
	short := commit
	if len(short) > 7 {
		short = short[:7]
	}
	if rev == "" || strings.HasPrefix(commit, rev) {
		return short
	}
	return fmt.Sprintf("%s (%s)", rev, short)
}

// The subjects of Question.Subject.
const (
	SubjectServer = "server"
	SubjectCheck  = "check"
	SubjectTests  = "tests"
)

// subject is the question's subject, derived from the oracle when unset.
func (q Question) subject() string {
	switch {
	case q.Subject != "":
		return q.Subject
	case q.Profile != "":
		return SubjectServer
	}
	return SubjectCheck
}

// fails is the subject failing, as a sentence's start: "The tests fail".
func (q Question) fails() string {
	switch q.subject() {
	case SubjectTests:
		return "The tests fail"
	case SubjectCheck:
		return "The check fails"
	}
	return "The server breaks"
}

// noun is the subject as a noun phrase: "the tests".
func (q Question) noun() string {
	switch q.subject() {
	case SubjectTests:
		return "the tests"
	case SubjectCheck:
		return "the check"
	}
	return "the server"
}

// breaks is what a culprit does to the subject: "make the tests fail".
func (q Question) breaks() string {
	if q.subject() == SubjectServer {
		return "break the server"
	}
	return "make " + q.noun() + " fail"
}

// Culprit is one minimal set of units whose application breaks the server.
type Culprit struct {
	Packages []string           `json:"packages"`
	Changes  []manifests.Change `json:"changes"`
	Units    []string           `json:"units"`
	// Untestable packages inside the set: the culprit could only be
	// narrowed to a group that contains them.
	Untestable []string  `json:"untestable,omitempty"`
	Evidence   *Evidence `json:"evidence,omitempty"`
	// Reproduce is the ecosystem's checked command that rolls back only
	// the culprit's lines of the new lock; "" = none, the usual one is shown.
	Reproduce string `json:"reproduce,omitempty"`
	// Rollback is the ecosystem's usual commands (each an argv) that take
	// the culprit's changes back to their old versions: what the markdown
	// shows where Reproduce is empty.
	Rollback [][]string `json:"-"`
}

// Evidence is why the culprit's candidate was judged bad.
type Evidence struct {
	Check   *Check `json:"check,omitempty"` // first fatal check that failed
	LogTail string `json:"log_tail,omitempty"`
	// Output is the last lines of the oracle's own output (an exec
	// command's, redacted), shown under the failing check's line.
	Output string `json:"output,omitempty"`
}

// Check is an oracle check as it appears in a report.
type Check struct {
	ID      string `json:"id"`
	Detail  string `json:"detail"`
	Spec    string `json:"spec,omitempty"`
	Profile string `json:"profile,omitempty"` // the client profile whose rule failed ("gemini"); "" = the spec's
	Client  string `json:"client,omitempty"`  // that client's name ("Gemini")
}

// Probe is one candidate built and judged.
type Probe struct {
	Round         int      `json:"round"`
	Applied       []string `json:"applied"` // packages at their new version
	Outcome       string   `json:"outcome"` // good | bad | untestable | error
	Candidate     string   `json:"candidate"`
	Seconds       float64  `json:"seconds"`
	BuildSeconds  float64  `json:"build_seconds"`
	OracleSeconds float64  `json:"oracle_seconds"`
	Cached        bool     `json:"cached"`
	Replayed      bool     `json:"replayed,omitempty"` // taken from the journal of an earlier run
	// Speculative: run beside others under --parallel, its answer no
	// longer needed when it came.
	Speculative bool   `json:"speculative,omitempty"`
	FailedCheck string `json:"failed_check"`
	Detail      string `json:"detail,omitempty"`
	Node        string `json:"node,omitempty"` // the swarm node that served the candidate; "" = this host
}

// Eliminated is a package proven innocent.
type Eliminated struct {
	Package string `json:"package"`
	Why     string `json:"why"`
}

// Summary counts the work done.
type Summary struct {
	Probes int `json:"probes"`
	// Speculative counts the probes among Probes whose answer was no
	// longer needed when it came (--parallel): which ones finish before
	// they are cancelled varies from run to run, and so does Probes.
	Speculative int     `json:"speculative,omitempty"`
	Builds      int     `json:"builds"`
	Rounds      int     `json:"rounds"`
	Seconds     float64 `json:"seconds"`
	// Retried counts the trials lost to infrastructure trouble (a swarm
	// node down, a task the cluster rejected) and run again.
	Retried int `json:"retried,omitempty"`
}
