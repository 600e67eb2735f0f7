// Package gitrev reads commits of a git repository without touching its
// work tree or index: files of a revision (a lock file read as REV:PATH),
// the whole tree of a revision written into a directory (the project a
// run builds, `bisect run --source`), and how many files of the work tree
// differ from HEAD.
//
// Everything is read through go-git. go-git refuses some repositories git
// itself reads (extensions such as worktreeConfig, which `git worktree`
// and sparse checkouts turn on); then the git command reads them, and when
// that fails too the error says what each of them answered.
//
// # Checkout
//
// Revision.Checkout writes a revision's tree as git stores it: no
// .gitattributes processing (no end-of-line conversion, no filters such as
// Git LFS, no export-ignore), regular files with mode 0644 or, when
// executable in git, 0755, symbolic links with their targets as written.
// A submodule is an empty directory, as `git clone` without
// --recurse-submodules leaves it; the project cannot use its files.
package gitrev
