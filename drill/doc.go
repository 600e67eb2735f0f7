// Package drill goes past "this package's upgrade broke it": given a
// single-package culprit (old version X, new version Y) and the releases
// its ecosystem lists between them, and the upstream commits between the
// last good and the first bad release, it bisects them linearly with good,
// bad and skip (a release or commit that cannot be installed or built is
// skipped, never counted as bad). What is particular to one ecosystem
// (listing releases, their order, pinning one) lives in its package under
// manifests, behind [manifests.Releaser] and its siblings.
//
// # Commits
//
// The package's repository is cloned with go-git (full history, cached
// between runs), the two release tags are resolved to commits (annotated
// tags dereferenced, tags of modules in subdirectories prefixed), and the
// first-parent chain between them is bisected; when the first bad commit is
// a merge, the merged branch is bisected too.
//
// # Honest answers
//
// Where skips block an exact answer, [Line] says so ([Line.Exact] is
// false): "after A (known good), no later than B (first known bad)".
package drill
