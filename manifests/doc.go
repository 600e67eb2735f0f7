// Package manifests reads lock files as data: it loads two snapshots of a
// project's dependency state, diffs them per package, groups the changes that
// must move together into units, and writes candidate lock files in which any
// closed subset of the units is applied.
//
// # Lock references
//
// A reference is a file path (composer.lock or go.mod; the sibling
// composer.json or go.sum in the same directory is read too when present) or
// REV:PATH, read through go-git from a repository without touching its work
// tree. See [Read]. A [Snapshot] can read other files of the same state
// (Snapshot.ReadFile: from disk, or from the same revision), and a
// repository go-git cannot open (extensions such as worktreeConfig) is read
// with the git command.
//
// # Ecosystems
//
// Each ecosystem lives in a sub-package (composer, gomod) and implements
// [Ecosystem]. The command registers them explicitly; [Load] picks the one
// whose lock file name matches.
//
// # Coupling
//
// Changes are linked by "forces" edges: applying change r needs change p
// applied (or, equivalently, rolling back p needs r rolled back). [Couple]
// turns those edges into units: strongly connected components become atomic
// units, the remaining edges become closure rules between units. A set of
// applied units is installable exactly when it is closed under those rules.
//
// # Candidates
//
// A [Candidate] is named by its applied units; its files are deterministic
// bytes, and its [Candidate.Hash] is the identity the search memoises on.
package manifests
