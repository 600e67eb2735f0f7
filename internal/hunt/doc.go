// Package hunt joins the parts of a bisect run: it loads and couples the two
// locks (manifests), turns each set of applied units the search asks for
// (bisect) into a candidate, starts it with the configured runner (runners),
// judges it with the configured oracle (oracles), and turns the search's
// result into a report (reports).
//
// # What a failure means
//
// A probe is good, bad or untestable; an error is none of them: the tool
// could not even try. Before the first probe (and for a dry run) preflight
// checks what would fail every probe alike (templates, the oracle, the
// project, TMPDIR and the run directory, the docker engine and the
// Dockerfile's base images) and Run returns ErrPreflight. During the run a
// runner error wrapping runners.ErrSetup stops it (bisect.Trial.Err); one
// wrapping runners.ErrUntestable makes the probe untestable, or bad when
// it wraps runners.ErrBuild and search.build_failure is bad; any other is
// retried. The oracle owns its timeout: the probe's context lasts
// oracle.timeout plus a grace, so that oracle.timeout_is_untestable, not
// a cancelled context, decides what a hang is.
//
// The run directory (journal.jsonl and one log per candidate) lives under
// the user's cache directory, never in the project: the user's checkout is
// never written.
//
// # The source
//
// Every runner builds from one tree, the source (Options.Source). A
// revision's tree (by default the revision of a REV:PATH new lock) is
// written out once, through go-git (internal/gitrev), into the run's own
// directory below the local runner's root (local.Own), which also holds
// the local runner's work directories and the ecosystems' temporary files,
// so that a killed run's copy is swept like the rest; the config's project
// is placed in it by its path within the work tree, and the new lock's
// siblings in that tree are what the ecosystem reads beside it
// (manifests.Options.NewDir). The work tree is never read then; its
// uncommitted changes to the project are counted, logged as ignored and
// shown in the report's question (reports.Source). The journal's header
// records the source, so --resume refuses a journal of another.
//
// # Drill-down
//
// After a culprit of one package (search.drill not "none"), the run keeps
// every other package as in the largest good probe and pins the culprit
// (manifests.Pinner) to each release between its two versions (composer:
// p2 metadata from search.composer_repo or the project's composer
// repository; Go: the proxy `go env` names with runner.env on top, never
// one for a GOPRIVATE/GONOPROXY module, which stays undrilled; npm: the
// registry's packument), bisecting
// them with drill.Linear; then, unless search.drill is "release", to the
// upstream commits between the last good and the first bad release
// (repository from --repo-map, composer's source.url, the proxy's Origin
// or the packument's repository; clones and work trees under the user's cache directory). A
// commit pin is installed from source at that commit (composer), replaced
// by a work tree of it (Go) or packed from one (npm). Every drill probe goes through the
// same runner, oracle and journal as the search, so --resume replays it;
// anything not judged good or bad is a skip, never bad. An unreachable
// repository leaves the answer at the release level, with the reason.
package hunt
