// Package oracles decides whether a running candidate is good or bad.
//
// An [Oracle] checks a [Target] and returns a [Verdict]: a list of checks,
// each with an id, a severity (fatal or warning), a status (pass, fail,
// skip), a detail and a spec reference. The verdict fails iff a fatal check
// fails. Kinds: mcp (Streamable HTTP + OAuth 2.1), http (declarative steps),
// exec (any command, git bisect's exit codes).
package oracles
