// Package oracles decides whether a running candidate is good or bad.
//
// An [Oracle] checks a [Target] and returns a [Result]: a list of checks,
// each with an id, a severity (fatal or warning), a status (pass, fail,
// skip), a detail and a spec reference. The verdict fails iff a fatal check
// fails. Each kind is a package of its own, which owns its settings
// (its Config, defaults and validation) and offers its registry entry
// (Kind): oracles/mcp (Streamable HTTP + OAuth 2.1, judged as the clients
// oracle.profile lists; see docs/profiles.md), oracles/httpsteps
// (declarative steps), oracles/exec (any command, git bisect's exit
// codes). This package holds what they share: the settings every oracle
// reads ([Config]), the [Registry] of kinds (composed in cmd/bisect), the
// verdict's shape, the target, and the wording of details ([Snippet],
// [JSONKind], [JSONText]).
package oracles
