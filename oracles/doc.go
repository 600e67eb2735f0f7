// Package oracles decides whether a running candidate is good or bad.
//
// An [Oracle] checks a [Target] and returns a [Result]: a list of checks,
// each with an id, a severity (fatal or warning), a status (pass, fail,
// skip), a detail and a spec reference. The verdict fails iff a fatal check
// fails. Each kind is a package of its own: oracles/mcp (Streamable HTTP +
// OAuth 2.1, judged as the clients config.Oracle.Profile lists; see
// docs/profiles.md), oracles/httpsteps (declarative steps), oracles/exec
// (any command, git bisect's exit codes). This package holds what they
// share: the verdict's shape, the target, and the wording of details
// ([Snippet], [JSONKind], [JSONText]). The registry of kinds is
// internal/hunt.NewOracle.
package oracles
