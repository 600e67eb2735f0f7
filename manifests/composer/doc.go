// Package composer reads composer.lock and composer.json: it diffs two
// snapshots of a PHP project's dependencies, couples the changes that
// composer can only install together, and writes candidate lock files in
// which any closed subset of the changes is applied.
//
// # Diff
//
// Every package locked on either side (packages and packages-dev) whose
// version, or for one dev branch whose commit, differs is a change:
// upgrade or downgrade in composer's version order, added or removed.
// Lock-only (transitive) changes are changes like any other; direct means
// the package is named in the old or the new composer.json's require or
// require-dev, dev that it sits in packages-dev.
//
// # Coupling
//
// The old entry of a changed package x is installed exactly when x is not
// applied, its new entry exactly when it is. So when the old x requires a
// range that excludes the new q, applying q needs x applied; when the new r
// requires a range that excludes the old p (or p is absent on the old
// side), applying r needs p applied. Conflicts and replaces force the same
// way. An unchanged package whose requirement one package meets on the old
// side and another on the new (a replace or provide taking over) couples
// those two: applying the old provider's change needs the new one's.
// Platform requirements (php, ext-*, lib-*, composer-plugin-api …)
// never couple: no candidate changes the platform. Cycles become atomic
// units and the other forces closure edges (see manifests.Couple); every
// merge and edge carries a sentence such as
// "symfony/mcp-bundle 0.9.0 requires mcp/sdk ^0.5".
//
// Constraints are evaluated by the constraint sub-package, which follows
// composer/semver. A requirement that a replaced or provided range (rather
// than one version) satisfies is taken as satisfied, and so is a constraint
// the evaluator cannot parse; composer install, which every candidate goes
// through, has the last word there.
//
// # Candidates
//
// A candidate takes whole package entries, byte for byte, from the new
// lock for applied units and unchanged packages and from the old lock for
// the rest, sorted by name under the new lock's top-level keys: the same
// set gives the same bytes, and the full set gives the new lock itself.
// Its files are keyed by base name, "composer.lock" and "composer.json";
// the caller places them beside the project's composer.json.
//
// Before a candidate is returned, the check composer install makes runs
// statically: every locked package's require, conflict and replace, and
// every root requirement, holds against the candidate set. Otherwise the
// error wraps manifests.ErrInfeasible and names the packages.
//
// When the new composer.json does not admit a rolled-back package's old
// version (a pin such as "mcp/sdk": "0.5.0"), the candidate's composer.json
// takes that package's constraint from the old composer.json, or drops it
// when the old one did not name the package; composer install exits 4 on a
// lock that does not satisfy the root requirements. Only that value
// changes in the file, and the candidate lock's content-hash is computed
// from the rewritten composer.json as composer computes it, so composer
// does not warn that the lock is out of date.
//
// # Pins (drill-down)
//
// Pin writes a candidate with one package's lock entry replaced by a
// version in neither lock: a release's entry from its repository's p2
// metadata, or [CommitEntry], which installs the package from source at an
// upstream commit under the version of the release it stands in for. The
// root composer.json is relaxed and the candidate checked as for a
// rollback.
package composer
