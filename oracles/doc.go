// Package oracles decides whether a running candidate is good or bad.
//
// An [Oracle] checks a [Target] and returns a [Verdict]: a list of checks,
// each with an id, a severity (fatal or warning), a status (pass, fail,
// skip), a detail and a spec reference. The verdict fails iff a fatal check
// fails. Kinds: mcp (Streamable HTTP + OAuth 2.1, judged as the clients
// config.Oracle.Profile lists: see [MCP] and docs/profiles.md), http
// (declarative steps), exec (any command, git bisect's exit codes). [New] is the one place where
// kinds are registered: it returns the oracle of config.Oracle.Kind and
// reports a bad kind-specific setting before any candidate is built.
//
// # http
//
// [HTTP] runs config.Oracle.Steps in order, one request each, with a cookie
// jar shared by the steps. Redirects are not followed unless the step says
// follow: true, so a 302 and its Location can be judged. The URL, headers,
// form values, raw body and every string of a JSON body are text/template
// texts over {{.BaseURL}} (the target's base URL joined with oracle.path),
// {{.Host}}, {{.Port}} and the captures of earlier steps by name; a name
// that was never captured is an error, not an empty string.
//
//	steps:
//	  - name: token
//	    method: POST
//	    url: "{{.BaseURL}}/token"
//	    json: {code: "{{.code}}"}
//	    expect:
//	      status: 200                          # 0 = any 2xx
//	      headers: {Cache-Control: no-store}   # name → regexp
//	      json: {token_type: Bearer}           # JSON path → value it equals
//	      match: {$.expires_in: "^[0-9]+$"}    # JSON path → regexp
//	    capture: {access: "json:access_token"} # or header:NAME, location:PARAM
//
// Each expectation is one fatal check: step.NAME.status, .header.H, .json.P,
// .match.P, .capture.C, plus .request and .body when the request could not be
// made or its body exceeds [HTTP.MaxBody]; its detail says what was expected
// and what came, and its spec field names the config key. The first step with
// a failing check ends the run; later steps are reported as skipped. JSON
// paths are dotted: "$", "$.a.b", "result.tools.0.name" (a segment of digits
// indexes an array). Numbers compare by value (1 equals 1.0). Captured values
// are secrets: they, and credentials [Redact] knows, never appear in details.
// Each step has its own timeout (step timeout, default 30s) within
// oracle.timeout. Nothing listening at the target is an error, not a verdict.
//
// # exec
//
// [Exec] runs oracle.command with sh -c in the target's directory (the
// current one when empty) with BISECT_URL (base URL joined with oracle.path;
// empty when nothing is served), BISECT_HOST, BISECT_PORT and the runner's
// environment. Its exit code is judged as git bisect run does: 0 pass, 125
// untestable ([Verdict.Untestable]), anything else (1–127, or 128+N for a
// signal) fail, in the single fatal check exec.exit. After oracle.timeout
// the command fails (untestable with oracle.timeout_is_untestable). The
// command runs in a process group of its own, killed as a whole when it
// exits, times out or is cancelled, so nothing it started outlives the check.
// The last 4 KiB of its output, redacted, are kept in [Verdict.Output].
package oracles
