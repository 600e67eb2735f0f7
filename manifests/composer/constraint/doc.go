// Package constraint evaluates Composer version constraints the way
// composer/semver does, so that coupling and feasibility decisions made in Go
// agree with what `composer install` will later accept.
//
// # Usage
//
//	c, err := constraint.Parse("^1.2 || >=2.0 <2.5@beta")
//	if err != nil { ... }            // the error names the constraint and the problem
//	c.Check("v1.4.0")                // true: the pretty version from composer.lock
//	constraint.Normalize("2.x-dev")  // "2.9999999.9999999.9999999-dev"
//	constraint.Compare("1.0.0-beta1", "1.0.0") // -1
//	c.Intersects(other)              // do the two ranges share a version (replace, provide, conflict)
//
// # What is understood
//
// Everything composer's VersionParser::parseConstraints accepts: the
// operators = == != <> < <= > >=, caret (^) and tilde (~) ranges, x/X/*
// wildcards, hyphen ranges with composer's partial-bound rules, AND by space
// or comma, OR by | or ||, stability flags (@dev, @alpha, @beta, @RC, @stable,
// alone or on a single constraint such as ^1.0@dev), dev-* branches and
// numbered branches (2.x-dev), #ref suffixes, "as" aliases, four-segment and
// date versions, -p/-pl/-patch and -alpha/-beta/-RC/-dev suffixes, build
// metadata and a v prefix. Quirks are kept on purpose: ">=1.0-RC1" gets an
// extra -dev bound because composer's lower-casing makes it miss its own
// modifier pattern, and "1.0-stable-dev" normalizes to 1.0.0.0.
//
// # Semantics
//
// Check answers what Semver::satisfies answers: the version is normalized and
// tested against every OR group. A constraint without a stability flag
// still admits pre-release versions inside its range (^1.0 accepts
// 1.1.0-beta1); minimum-stability is the solver's filter, not the
// constraint's. A dev-* branch only matches == and != of the same branch
// and the match-all constraint *; an unparsable version matches nothing.
//
// Intersects answers what composer's ConstraintInterface::matches answers,
// which composer's pool asks of every replace and provide link: whether a
// required or conflicting range meets the replaced or provided one.
//
// Versions are ordered by a port of PHP's version_compare, which composer
// uses underneath: dev < alpha = a < beta = b < RC < (release) < patch = p = pl,
// numbers compared numerically part by part. hashicorp/go-version is not used
// for this: its pre-release ordering is lexical (beta10 < beta2, dev after
// alpha) and it treats -patch1 as a pre-release, so it would disagree with
// composer on exactly the versions lock files contain.
//
// # Truth
//
// The differential test (TestAgreesWithComposer) generates several thousand
// (constraint, version) pairs and constraint pairs from a fixed seed and asks PHP's composer/semver,
// as shipped in Debian's composer package, to judge them in one php process;
// it fails on any disagreement. With CI=true a missing php is a failure.
//
// Known divergence: version numbers above 2^63-1 (PHP turns them into floats
// when a caret or tilde bound increments them).
package constraint
