// Package gomod is the Go modules ecosystem of bisect: go.mod is the lock,
// go.sum its sibling.
//
// # Changes
//
// [Ecosystem.Open] parses both go.mod files with golang.org/x/mod/modfile
// (errors read "REF:LINE: problem") and checks every go.sum line. It lists
// a change for every
//
//   - require that moved, was added or was removed, direct or // indirect
//     (Direct is false for indirect requirements: transitive changes are
//     bisected like the others; a change of the // indirect mark alone is
//     not a change);
//   - replace directive, named "replace PATH" or "replace PATH@VERSION";
//   - exclude directive, named "exclude PATH@VERSION";
//   - go and toolchain directive, named "go" and "toolchain".
//
// Kinds follow semver order (a pseudo-version sorts before its release).
//
// # Coupling
//
// Minimal version selection (MVS) picks, for each module, the highest
// version any go.mod in the build requires. A candidate keeps each changed
// module at its old or its new version; it is what it claims only if no
// module's go.mod requires another module above the version the candidate
// gives it. From the go.mod of every changed module's old and new version:
//
//   - applying r needs p applied when new r requires p above old p
//     ("example.com/b v1.2.0 requires example.com/a v1.3.0");
//   - rolling r back needs p rolled back when old r requires p above new p
//     (p was downgraded or removed), which is the edge "applying p needs r";
//   - a module's go.mod whose go line is above the candidate's ties it to
//     the go directive change in the same way;
//   - an exclude moves with the requirement it excludes.
//
// Unchanged modules need no rule: they require the same in old and new, and
// both locks are consistent. The go.mod files are read through the GOPROXY
// of [manifests.Options.Env] (file:// and http(s):// proxies), else from the
// module cache (GOMODCACHE/cache/download), else with `go mod download
// -json`; one that cannot be read is logged and skipped, and Validate still
// catches what that missed. Replacements are followed: a replaced module's
// go.mod is its replacement's.
//
// # Candidates
//
// [Set.Candidate] starts from the old go.mod (its layout and comments) and
// moves every applied change to its new line: requirement version and
// // indirect mark, replace, exclude, go and toolchain. It is formatted by
// modfile, so the same applied set always gives the same bytes. go.sum is
// the sorted union of the old and new go.sum: it holds the hashes of every
// version a candidate can name. A set not closed under the edges fails with
// [manifests.ErrInfeasible].
//
// # Validation
//
// Under -mod=mod the go command would silently undo a rollback that MVS
// cannot keep. [Set.Validate] runs `go list -mod=readonly -m -json all` in
// the candidate's directory with the options' environment appended to the
// process environment, and accepts the candidate only if every changed
// module is selected at exactly its intended version. Otherwise it returns
// an error wrapping [manifests.ErrInfeasible] naming each module, the
// intended and the selected version, for example
//
//	infeasible candidate: example.com/a: intended v1.0.0, the go command selects v1.1.0
//
// When the read-only listing refuses because go.mod would need updating,
// the listing is repeated with -mod=mod on a temporary copy (-modfile) to
// name what the go command would have moved; the candidate's directory is
// never written.
//
// # Pins (drill-down)
//
// [Set.Pin] writes a candidate with one changed module at a version in
// neither lock: `replace M => M vX` for a release, `replace M => DIR` for a
// work tree of an upstream commit. [Set.PinSums] asks the go command for
// the go.sum lines the pin adds (so that the candidate's own files build
// read-only) and refuses, with the go command's reason, a pin that needs
// another go version, a module the proxy lacks, or a directory declaring
// another module; [Set.ValidatePin] checks the written candidate as
// [Set.Validate] checks a rollback.
package gomod
