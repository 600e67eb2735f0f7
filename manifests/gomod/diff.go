package gomod

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/lockbisect/lockbisect/manifests"
)

// What a change is about: a require line, a replace directive, an exclude
// directive, or the go and toolchain directives.
type changeKind int

const (
	requireChange changeKind = iota
	replaceChange
	excludeChange
	goChange
	toolchainChange
	inTreeChange
)

// Package names of the directive changes. Module paths cannot collide with
// them: "go" and "toolchain" have no dot, the others contain a space, and
// an in-tree module's go.mod is named by its file, "./DIR/go.mod" or
// "../DIR/go.mod".
const (
	goPackage        = "go"
	toolchainPackage = "toolchain"
	replacePrefix    = "replace "
	excludePrefix    = "exclude "
)

// change is a manifests.Change with what is needed to apply it to go.mod.
type change struct {
	manifests.Change
	what     changeKind
	path     string           // module path (require, exclude) or replace key
	oldRepl  *modfile.Replace // replaceChange: old directive, nil if added
	newRepl  *modfile.Replace // replaceChange: new directive, nil if removed
	excluded string           // excludeChange: excluded version
	newReq   *modfile.Require // requireChange: new requirement, nil if removed
	inTree   [2]*inTreeMod    // inTreeChange: the module's old and new go.mod
}

// diff lists every require, replace, exclude, go and toolchain change
// between old and new: requires first, sorted by path, then replaces, then
// excludes, then the directives.
func diff(old, new *lock) []change {
	var out []change

	paths := unionKeys(old.req, new.req)
	for _, p := range paths {
		o, n := old.req[p], new.req[p]
		var from, to string
		direct := false
		if o != nil {
			from = o.Mod.Version
			direct = !o.Indirect
		}
		if n != nil {
			to = n.Mod.Version
			direct = !n.Indirect
		}
		if from == to {
			continue
		}
		out = append(out, change{
			Change: manifests.Change{Package: p, From: from, To: to, Kind: kind(from, to), Direct: direct},
			what:   requireChange, path: p, newReq: n,
		})
	}

	for _, k := range unionKeys(old.repl, new.repl) {
		o, n := old.repl[k], new.repl[k]
		from, to := replTarget(o), replTarget(n)
		if from == to {
			continue
		}
		c := change{
			Change: manifests.Change{Package: replacePrefix + k, From: from, To: to, Direct: true},
			what:   replaceChange, path: k, oldRepl: o, newRepl: n,
		}
		switch {
		case o != nil && n != nil && o.New.Path == n.New.Path && o.New.Version != "" && n.New.Version != "":
			c.Kind = kind(o.New.Version, n.New.Version)
		case o != nil && n != nil:
			// A different fork or directory cannot be ordered; the new
			// state is taken as the step forward.
			c.Kind = manifests.Upgrade
		default:
			c.Kind = kind(from, to)
		}
		out = append(out, c)
	}

	for _, k := range unionKeys(old.excl, new.excl) {
		if old.excl[k] == new.excl[k] {
			continue
		}
		i := strings.LastIndex(k, "@")
		path, version := k[:i], k[i+1:]
		c := change{
			Change: manifests.Change{Package: excludePrefix + k, Direct: true},
			what:   excludeChange, path: path, excluded: version,
		}
		if new.excl[k] {
			c.To, c.Kind = version, manifests.Added
		} else {
			c.From, c.Kind = version, manifests.Removed
		}
		out = append(out, c)
	}

	for _, p := range unionKeys(old.inTree, new.inTree) {
		o, n := old.inTree[p], new.inTree[p]
		if o == nil || n == nil || o.rel != n.rel || bytes.Equal(o.data, n.data) {
			// Added or removed with its replace directive, whose change
			// carries it.
			continue
		}
		out = append(out, change{
			Change: manifests.Change{Package: inTreeName(n.rel), From: digest(o.data), To: digest(n.data), Kind: manifests.Upgrade, Direct: true},
			what:   inTreeChange, path: p, inTree: [2]*inTreeMod{o, n},
		})
	}

	if o, n := old.goVersion(), new.goVersion(); o != n {
		out = append(out, change{
			Change: manifests.Change{Package: goPackage, From: o, To: n, Kind: kind(o, n), Direct: true, Toolchain: true},
			what:   goChange,
		})
	}
	if o, n := old.toolchain(), new.toolchain(); o != n {
		out = append(out, change{
			Change: manifests.Change{Package: toolchainPackage, From: o, To: n, Kind: kind(o, n), Direct: true, Toolchain: true},
			what:   toolchainChange,
		})
	}
	return out
}

// inTreeName names an in-tree module's go.mod by its path from the lock's
// directory: "./tools/go.mod", "../lib/go.mod".
func inTreeName(rel string) string {
	if strings.HasPrefix(rel, "../") {
		return rel + "/go.mod"
	}
	return "./" + rel + "/go.mod"
}

// digest names one state of an in-tree go.mod.
func digest(data []byte) string {
	h := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(h[:6])
}

// replTarget renders a replace directive's right-hand side.
func replTarget(r *modfile.Replace) string {
	if r == nil {
		return ""
	}
	if r.New.Version == "" {
		return r.New.Path
	}
	return r.New.Path + " " + r.New.Version
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
