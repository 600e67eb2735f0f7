package gomod

import (
	"context"
	"fmt"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// maxGraph bounds the module versions one selection loads: far above any
// real project's graph, it stops a malformed proxy from making the walk
// unbounded.
const maxGraph = 100000

// mvs computes in process what `go list -m all` selects for l, from the
// go.mod files of its module graph read through r: minimal version
// selection over the graph the go command loads. With a main module at go
// 1.17 or later the graph is pruned: a dependency whose go.mod says go
// 1.17 or later contributes its own requirements but not theirs; an older
// one contributes its whole requirement closure. Replacements are
// followed (a replaced module's go.mod is its replacement's); an excluded
// version is skipped in favour of the requirement's other sources, which
// the go command would resolve to the next version, so a graph with
// excludes that matter is left to the go command (an error).
func mvs(ctx context.Context, l *lock, r *modReader) (selection, error) {
	sel := selection{}
	raise := func(m module.Version) {
		if v, ok := sel[m.Path]; !ok || semver.Compare(m.Version, v) > 0 {
			sel[m.Path] = m.Version
		}
	}
	pruned := compareVersions(l.goVersion(), "1.17") >= 0
	type item struct {
		m        module.Version
		unpruned bool // load its requirements' go.mod files too
	}
	var queue []item
	seen := map[item]bool{}
	push := func(it item) {
		if !seen[it] {
			seen[it] = true
			queue = append(queue, it)
		}
	}
	for _, req := range l.file.Require {
		if l.excl[req.Mod.String()] {
			return nil, fmt.Errorf("%s requires the excluded %s", l.ref, req.Mod)
		}
		raise(req.Mod)
		push(item{req.Mod, !pruned})
	}
	for len(queue) > 0 {
		if len(seen) > maxGraph {
			return nil, fmt.Errorf("module graph of %s exceeds %d module versions", l.ref, maxGraph)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it := queue[0]
		queue = queue[1:]
		f := r.goModOf(ctx, l, it.m.Path, it.m.Version)
		if f == nil {
			return nil, fmt.Errorf("go.mod of %s is unavailable", it.m)
		}
		unpruned := it.unpruned || f.Go == nil || compareVersions(f.Go.Version, "1.17") < 0
		for _, req := range f.Require {
			if l.excl[req.Mod.String()] {
				return nil, fmt.Errorf("%s requires the excluded %s", it.m, req.Mod)
			}
			raise(req.Mod)
			if unpruned {
				push(item{req.Mod, true})
			}
		}
	}
	return sel, nil
}
