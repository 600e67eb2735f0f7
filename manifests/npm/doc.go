// Package npm reads package-lock.json (lockfileVersion 2 and 3) and
// package.json: it diffs two snapshots of a Node project's dependencies,
// couples the changes that npm can only install together, and writes
// candidate locks that npm ci installs as written.
//
// # Diff
//
// A lock's "packages" maps install paths to what sits there:
// node_modules/a and node_modules/b/node_modules/a are two installs of a.
// Changes are per installed name (the folder require() finds): a name
// changes when the set of its paths, or the version, resolved URL or
// integrity at one of them, differs. When every path moves from one version
// to another the change reads "1.0.0 → 1.1.0"; otherwise each side names
// its versions with their paths ("1.0.0 at node_modules/a, 2.0.0 at
// node_modules/b/node_modules/a"). A package bundled inside another
// (inBundle) belongs to the bundling package. The root, workspace folders
// and their links are left alone: candidates take them from the new lock.
// Direct means package.json (or the lock's root entry) names it in
// dependencies, devDependencies, optionalDependencies or
// peerDependencies; dev that every path is marked dev. A version the
// registry deprecates carries the message in its lock entry; the change
// says so in Retracted ("2.0.0 is deprecated: use acme-check"), as Go's
// retractions do.
//
// # Coupling
//
// A candidate takes every path of a changed name from one side. Each
// changed package's dependencies, optionalDependencies and
// peerDependencies are resolved as require() does (its own node_modules,
// then each ancestor's, then the root's) with the target on the other
// side: when the new package cannot take the old target, applying it needs
// the target applied; when the old package cannot take the new target,
// applying the target needs the package applied. A missing optional
// dependency or optional peer (peerDependenciesMeta) is no violation. A
// nested copy below a path only one side of another name installs needs
// that side. Ranges are evaluated by the semver sub-package, npm's own
// semantics (a differential test holds it to npm's semver); "*" takes any
// version as npm's arborist does, and a spec that is no range (tags, URLs,
// git, file:) is taken as satisfied: npm ci has the last word there.
//
// # Candidates
//
// Entries are copied whole (version, resolved, integrity, flags) from the
// side their name takes, at their own paths, so hoisting comes with them:
// a name rolled back takes the old side's hoisted and nested copies
// together. The lock is written as npm writes it, under the new lock's
// top-level keys; the full set gives the new lock byte for byte. A
// version 2 lock's legacy "dependencies" tree is dropped from a candidate
// that rolls anything back (npm 7 and later read "packages" only).
//
// package.json's ranges move with the candidate as composer.json's do in
// the composer plugin: a name keeps its new range when the candidate's
// top-level copy satisfies it, else takes the old range; a rolled-back
// addition is dropped and a rolled-back removal comes back (npm ci
// refuses a lock out of sync with package.json and prunes what it does not
// ask for). The lock's root entry follows package.json.
//
// Every installed entry's requirements and the root's ranges are checked
// against the candidate before it is returned; a violation is an error
// wrapping manifests.ErrInfeasible ("acme-sdk 2.0.0 requires acme-json
// ^2.0.0, but the candidate has acme-json 1.0.0 at node_modules/acme-json").
// Validate then runs npm ci --dry-run --ignore-scripts --offline with an
// empty cache of its own: npm ci builds the tree package.json asks for from
// the lock and refuses a mismatch, and offline any edge the lock does not
// satisfy makes it reach for a packument and fail; nothing is written or
// fetched. The every-subset test holds both checks to the real npm ci.
//
// # Drill-down and reports
//
// The pair implements the drill-down's interfaces: Releases lists every
// version in the registry's packument (the registry is npm_config_registry
// from the run's environment, else the registry= line of the user's
// npmrc, else npm's default) and Compare orders them by npm's semver;
// Upstream reads the packument's repository field as a URL git can clone;
// Pin writes the candidate holding a release's lock entry (ReleaseEntry),
// as npm install a@x --package-lock-only would, through the same checks;
// PinCommit packs a work tree of a commit with npm pack (CommitEntry).
// Rollback names the npm commands that take changes back (npm install
// a@1.0.0 for a direct dependency, overrides for a transitive one), for
// the report's culprits and the drill-down's workaround.
package npm
