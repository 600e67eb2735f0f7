// Package drill goes past "this package's upgrade broke it": given a
// single-package culprit (old version X, new version Y) it lists the
// releases between X and Y and the upstream commits between the last good
// and the first bad release, and bisects them linearly with good, bad and
// skip (a release or commit that cannot be installed or built is skipped,
// never counted as bad).
//
// # Releases
//
// Composer releases come from a repository's p2 metadata
// (<repo>/p2/<vendor>/<name>.json), in Packagist's minified form: the first
// version is complete, each later one lists only the keys that differ from
// the previous one, and "__unset" deletes a key ([Expand], [Minify]). Go
// releases come from the module proxy ($GOPROXY/<escaped path>/@v/list),
// with versions retracted by the newest go.mod marked.
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
