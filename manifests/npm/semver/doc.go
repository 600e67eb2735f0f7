// Package semver evaluates npm's version ranges with node-semver's
// semantics (the `semver` package npm itself ships, 7.x, default options:
// not loose, prereleases excluded unless a comparator names one of the same
// major.minor.patch).
//
// It is a port of node-semver's parsing pipeline (hyphen ranges, comparator
// trimming, carets, tildes, x-ranges, stars, ">=0.0.0"), built from the same
// regular expressions, rather than a general semver library: Go libraries
// such as Masterminds/semver disagree with npm on prereleases, on "1.x ||
// >=2.5.0 <3" spelling and on what is invalid. A differential test compares
// Satisfies with npm's own semver over thousands of (range, version) pairs.
//
// Known gap: JavaScript's \s and String.prototype.trim also match Unicode
// spaces and \v; here only ASCII whitespace counts. Lock files do not
// contain such ranges.
package semver
