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
// never couple and never make a candidate infeasible: no candidate changes
// the platform, and composer install checks it against the machine (or
// config.platform) itself. Cycles become atomic
// units and the other forces closure edges (see manifests.Couple); every
// merge and edge carries a sentence such as
// "symfony/mcp-bundle 0.9.0 requires mcp/sdk ^0.5".
//
// Constraints are evaluated by the constraint sub-package, which follows
// composer/semver. A replaced or provided range answers a requirement or
// a conflict when the two ranges intersect, as composer's pool decides
// (a replace of ^6.0 does not meet a conflict on <5.4). "self.version" is
// the declaring package's own version, in a require as in a replace,
// provide or conflict, and a package with a branch or inline alias
// requires the target at the alias's version too: packages split from one
// repository that require each other at self.version move together. A
// constraint the evaluator cannot parse is taken as satisfied; composer
// install, which every candidate goes through, has the last word there.
//
// # The root package
//
// The project's composer.json is a package too: what it replaces and
// provides answers requirements, and a locked package of a name it
// replaces cannot coexist with it (Symfony's skeleton replaces the
// polyfills of the PHP versions it requires). When the two composer.json
// files replace or provide a name differently, each candidate takes that
// link from the new file unless the old one fits the candidate better: a
// candidate that rolls back the removal of a polyfill the new root now
// replaces drops that replace again. So the root's change never couples
// packages; it moves with the packages it affects.
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
// Path repositories outside the lock's directory ("../lib", common in
// monorepos) are made absolute, in composer.json and in the lock entries'
// dist urls that composer install reads, so that a copy of the project
// built elsewhere installs what the original would (the full set then
// differs from the new lock in exactly those urls and the content-hash).
//
// Before a candidate is returned, the check composer install makes runs
// statically: every locked package's require, conflict and replace, and
// the root's requirements, conflicts, replaces and provides, hold against
// the candidate set. Otherwise the error wraps manifests.ErrInfeasible and
// names, for the first few violations, the package, its constraint and
// what the candidate holds instead ("acme/markdown 2.4.0 requires
// symfony/polyfill-php80 ^1.16, but the candidate locks no
// symfony/polyfill-php80").
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
