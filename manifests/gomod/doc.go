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
//   - go and toolchain directive, named "go" and "toolchain";
//   - go.mod of an in-tree module, named "./DIR/go.mod" or "../DIR/go.mod":
//     a directory replace that stays inside the project is a module of the
//     project, whose go.mod is read from the same state as the lock (the
//     work tree, or the same revision for REV:PATH), is part of the module
//     graph like any dependency's, and is written into every candidate
//     from the side its change is on.
//
// Kinds follow semver order (a pseudo-version sorts before its release).
// An exclude of a version that no go.mod of either lock or of a changed
// module requires changes no selection: it is listed with Inert set and
// left out of the units, so it is never probed.
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
//   - a go.mod whose go line is 1.21 or later and above the candidate's
//     ties it to the go directive change in the same way (older go lines
//     are advisory: the go command leaves the main module's alone);
//   - the toolchain line must stay above the go line (the go command
//     refuses the go.mod otherwise);
//   - a version-pinned replace (replace M V => …) and the requirement on M
//     V are one unit, and so are a directory replace and the requirement
//     on its module;
//   - an exclude moves with the requirement it excludes.
//
// The go.mod files that move are a changed module's old and new version,
// an in-tree module's old and new go.mod, and a changed replacement's. A
// force is claimed only when it changes the selection: a requirement on an
// added module that the old lock already selects at its new version (or
// on a removed module the new lock still selects at its old version),
// through another path, forces nothing. What each lock selects comes from
// minimal version selection in process over the go.mod files (a pruned
// graph from go 1.17 on), or from `go list -m -json all` where that falls
// short.
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
// [Pair.Candidate] starts from the old go.mod (its layout and comments) and
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
// cannot keep. [Pair.Validate] runs `go list -mod=readonly -m -json all` in
// the candidate's directory with GOWORK=off (a go.work beside go.mod would
// list the workspace instead) and then the options' environment appended
// to the process environment (a GOWORK there wins), and accepts the candidate only if every changed
// module is selected at exactly its intended version. Otherwise it returns
// an error wrapping [manifests.ErrInfeasible] naming each module, the
// intended and the selected version, for example
//
//	infeasible candidate: example.com/a: intended v1.0.0, the go command selects v1.1.0 (required by example.com/b@v1.2.0)
//
// (who requires the version selected instead comes from `go mod graph`); a
// toolchain line that is not above the go line is named as such.
//
// When the read-only listing refuses because go.mod would need updating,
// the listing is repeated with -mod=mod on a temporary copy (-modfile) to
// name what the go command would have moved; the candidate's directory is
// never written.
//
// # Retractions
//
// A version of either lock that its module's author retracts is flagged on
// its change (Retracted, the author's rationale), from `go list -m -json
// -retracted` outside any module, through the user's proxy settings.
//
// # Reproduce
//
// [Pair.Reproduce] names the `go mod edit` that moves only a culprit's lines
// of the new go.mod back (-require, -droprequire, -replace, -dropreplace,
// -exclude, -dropexclude, -go, -toolchain): unlike `go get`, it moves no
// other module and not the go line. It is checked: run on a copy of the
// new go.mod, the go command must select what the candidate of every other
// unit selects.
//
// # Proxies
//
// The go.mod reader asks the proxies `go env` names with the options'
// environment (internal/goenv), in order, and none for a module matching
// GOPRIVATE or GONOPROXY, which comes from the module cache or `go mod
// download`. A directory replacement that leaves the project
// ([manifests.Options.LockDir] says where the lock sits in it) is made
// absolute in every candidate, so that the copy the runner builds reaches
// the same directory as the original.
//
// # Pins (drill-down)
//
// [Pair.Pin] writes a candidate with one changed module at a version in
// neither lock: `replace M => M vX` for a release, `replace M => DIR` for a
// work tree of an upstream commit. [Pair.PinSums] asks the go command for
// the go.sum lines the pin adds (so that the candidate's own files build
// read-only) and refuses, with the go command's reason, a pin that needs
// another go version, a module the proxy lacks, or a directory declaring
// another module; [Pair.ValidatePin] checks the written candidate as
// [Pair.Validate] checks a rollback.
package gomod
