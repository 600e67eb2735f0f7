// Package exec is the exec oracle: any command judges the candidate.
//
// [Oracle] runs oracle.command with sh -c in the target's directory (in a
// run, the candidate's work directory, which image runners write for it:
// runners.Request.WorkDir; the current one when empty) with BISECT_URL (base URL joined with oracle.path;
// empty when nothing is served), BISECT_HOST, BISECT_PORT and the runner's
// environment. Its exit code is judged as git bisect run does: 0 pass, 125
// untestable (oracles.Result.Untestable), anything else (1–127, or 128+N for a
// signal) fail, in the single fatal check exec.exit. After oracle.timeout
// the command fails (untestable with oracle.timeout_is_untestable). The
// command runs in a process group of its own, killed as a whole when it
// exits, times out or is cancelled, so nothing it started outlives the check.
// The last 4 KiB of its output, redacted, are kept in oracles.Result.Output.
// A failing exec.exit's detail names the line that says what failed: the
// first failure line of a known test runner (go test's `_test.go:NN:`
// message, else its `--- FAIL` line; PHPUnit's numbered failure with its
// message), else the output's last line. The hunt keeps the last 20 lines
// of the output as the failing probe's context, and the report shows them.
package exec
