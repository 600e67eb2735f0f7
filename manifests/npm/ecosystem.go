package npm

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/npm/semver"
)

// Ecosystem is npm: package-lock.json, with package.json beside it.
type Ecosystem struct{}

var (
	_ manifests.Ecosystem = Ecosystem{}
	_ manifests.Environ   = Ecosystem{}
)

// Name implements [manifests.Ecosystem].
func (Ecosystem) Name() string { return "npm" }

// Lock implements [manifests.Ecosystem].
func (Ecosystem) Lock() string { return "package-lock.json" }

// Siblings implements [manifests.Ecosystem].
func (Ecosystem) Siblings() []string { return []string{"package.json"} }

// PublicEnv implements [manifests.Environ]: npm's settings, in either
// case npm accepts.
func (Ecosystem) PublicEnv() []string { return []string{"npm_config_*", "NPM_CONFIG_*"} }

// SecretEnv implements [manifests.Environ]: npm's credentials among its
// settings (_auth, _authToken, _password, the per-registry
// //host/:_authToken keys, the client key).
func (Ecosystem) SecretEnv() []string {
	return []string{"npm_config__*", "NPM_CONFIG__*", "npm_config_//*", "NPM_CONFIG_//*", "npm_config_key", "NPM_CONFIG_KEY"}
}

// Open parses both snapshots, diffs them per installed name and couples
// the changes. package.json is optional on either side: without it the
// root's ranges are the lock's root entry's, and candidates leave the
// project's package.json alone.
func (Ecosystem) Open(ctx context.Context, old, new *manifests.Snapshot, opts manifests.Options) (manifests.Pair, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &set{log: log, env: opts.Env, tmp: opts.TempDir, ranges: map[string]*semver.Range{}}
	var err error
	if s.old, s.oldRoot, err = parseSnapshot(old); err != nil {
		return nil, err
	}
	if s.new, s.newRoot, err = parseSnapshot(new); err != nil {
		return nil, err
	}
	if s.newRoot == nil {
		log.Warn("no package.json beside the new lock: candidates keep the project's own package.json", "lock", new.Ref)
	}
	s.diff()
	units, edges := manifests.Couple(s.d.Changes, s.forces())
	s.d.Units, s.d.Edges = append([]manifests.Unit{}, units...), append([]manifests.Edge{}, edges...)
	s.unitOf = map[string][]string{}
	for _, u := range units {
		s.unitOf[u.ID] = u.Packages
	}
	return s, ctx.Err()
}

func parseSnapshot(snap *manifests.Snapshot) (*lockFile, *rootFile, error) {
	data, ok := snap.Files["package-lock.json"]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no package-lock.json in the snapshot", snap.Ref)
	}
	lf, err := parseLock(snap.Ref, data)
	if err != nil {
		return nil, nil, err
	}
	var rf *rootFile
	if js, ok := snap.Files["package.json"]; ok {
		if rf, err = parseRoot("package.json beside "+snap.Ref, js); err != nil {
			return nil, nil, err
		}
	}
	return lf, rf, nil
}

// set is an opened pair of npm snapshots.
type set struct {
	log              *slog.Logger
	env              []string
	tmp              string // manifests.Options.TempDir
	old, new         *lockFile
	oldRoot, newRoot *rootFile
	pkgs             []*pkgState // every installed name of either side, sorted
	byName           map[string]*pkgState
	d                manifests.Diff
	unitOf           map[string][]string

	mu     sync.Mutex // Candidate runs from parallel probes
	ranges map[string]*semver.Range
}

var (
	_ manifests.Pair         = (*set)(nil)
	_ manifests.Pinner       = (*set)(nil)
	_ manifests.Releaser     = (*set)(nil)
	_ manifests.Upstreamer   = (*set)(nil)
	_ manifests.CommitPinner = (*set)(nil)
	_ manifests.Rollbacker   = (*set)(nil)
)

// pkgState is one installed name (the folder require() finds) on both
// sides: the entries at each of its paths. A package bundled inside
// another (inBundle) belongs to the package whose tarball carries it.
type pkgState struct {
	name     string
	old, new map[string]*entry // path → entry
	changed  bool
}

func (s *set) Diff() *manifests.Diff { return &s.d }

// owner is the name whose state decides whether path is installed: its
// own folder, or for a bundled entry the package that bundles it.
func owner(lf *lockFile, path string) string {
	for i := 0; i < 64 && path != ""; i++ {
		e := lf.entries[path]
		if e == nil || !e.InBundle {
			return folder(path)
		}
		path = parent(path)
	}
	return folder(path)
}

func (s *set) diff() {
	s.byName = map[string]*pkgState{}
	add := func(lf *lockFile, side func(*pkgState) *map[string]*entry) {
		for _, p := range lf.order {
			e := lf.entries[p]
			if !e.installs() {
				continue
			}
			n := owner(lf, p)
			st := s.byName[n]
			if st == nil {
				st = &pkgState{name: n, old: map[string]*entry{}, new: map[string]*entry{}}
				s.byName[n] = st
				s.pkgs = append(s.pkgs, st)
			}
			(*side(st))[p] = e
		}
	}
	add(s.old, func(p *pkgState) *map[string]*entry { return &p.old })
	add(s.new, func(p *pkgState) *map[string]*entry { return &p.new })
	sort.Slice(s.pkgs, func(i, j int) bool { return s.pkgs[i].name < s.pkgs[j].name })
	s.d = manifests.Diff{Ecosystem: "npm", Changes: []manifests.Change{}}
	for _, p := range s.pkgs {
		if samePaths(p.old, p.new) {
			continue
		}
		p.changed = true
		c := manifests.Change{Package: p.name, Direct: s.oldRoot.names(p.name) || s.newRoot.names(p.name) ||
			s.old.entries[""].names(p.name) || s.new.entries[""].names(p.name)}
		c.From, c.To = versions(p.old, p.new), versions(p.new, p.old)
		c.Retracted = deprecated(p.old, p.new)
		switch {
		case len(p.old) == 0:
			c.Kind, c.Dev = manifests.Added, allDev(p.new)
		case len(p.new) == 0:
			c.Kind, c.Dev = manifests.Removed, allDev(p.old)
		default:
			c.Dev = allDev(p.new)
			c.Kind = manifests.Upgrade
			if semver.CompareStrings(highest(p.old), highest(p.new)) > 0 {
				c.Kind = manifests.Downgrade
			}
		}
		s.d.Changes = append(s.d.Changes, c)
	}
}

// deprecated is the change's note of its versions that npm marks
// deprecated (the lock keeps the registry's message on the entry), in the
// words Go's retractions get: "1.1.0 is deprecated: use 1.1.1"; "" when
// none is.
func deprecated(sides ...map[string]*entry) string {
	seen := map[string]bool{}
	var notes []string
	for _, side := range sides {
		for _, p := range slices.Sorted(maps.Keys(side)) {
			e := side[p]
			if note := e.Version + " is deprecated: " + e.Deprecated; e.Deprecated != "" && !seen[note] {
				seen[note] = true
				notes = append(notes, note)
			}
		}
	}
	return strings.Join(notes, "; ")
}

// samePaths reports whether a name sits at the same paths with the same
// version and tarball on both sides.
func samePaths(a, b map[string]*entry) bool {
	if len(a) != len(b) {
		return false
	}
	for p, e := range a {
		f, ok := b[p]
		if !ok || e.Version != f.Version || e.Resolved != f.Resolved || e.Integrity != f.Integrity {
			return false
		}
	}
	return true
}

// versions is how a change shows one side: the version when every path
// holds one and the other side has the same paths, otherwise each
// version with the paths it sits at ("1.0.0 at node_modules/a, 2.0.0 at
// node_modules/b/node_modules/a").
func versions(side, other map[string]*entry) string {
	byVersion := map[string][]string{}
	for p, e := range side {
		byVersion[e.Version] = append(byVersion[e.Version], p)
	}
	samePathSet := len(side) == len(other)
	for p := range side {
		if _, ok := other[p]; !ok {
			samePathSet = false
		}
	}
	if len(byVersion) == 1 && (samePathSet || len(side) == 1 && side[topPath(side)] != nil) {
		for v := range byVersion {
			return v
		}
	}
	var vs []string
	for v := range byVersion {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool { return semver.CompareStrings(vs[i], vs[j]) < 0 })
	var parts []string
	for _, v := range vs {
		ps := byVersion[v]
		sort.Strings(ps)
		parts = append(parts, v+" at "+strings.Join(ps, " "))
	}
	return strings.Join(parts, ", ")
}

// topPath is the hoisted path of a name's entries, "" when it has none.
func topPath(side map[string]*entry) string {
	for p := range side {
		if !strings.Contains(p, "/node_modules/") {
			return p
		}
	}
	return ""
}

func highest(side map[string]*entry) string {
	h := ""
	for _, e := range side {
		if h == "" || semver.CompareStrings(e.Version, h) > 0 {
			h = e.Version
		}
	}
	return h
}

func allDev(side map[string]*entry) bool {
	for _, e := range side {
		if !e.Dev {
			return false
		}
	}
	return len(side) > 0
}

func (e *entry) names(name string) bool {
	if e == nil {
		return false
	}
	for _, m := range []map[string]string{e.Dependencies, e.DevDependencies, e.OptionalDependencies, e.PeerDependencies} {
		if _, ok := m[name]; ok {
			return true
		}
	}
	return false
}

// rng parses a spec once per set. A spec that is not a semver range (a
// tag, a URL, git, file:) yields nil, which every version satisfies: npm
// wrote it, and npm ci has the last word on it.
func (s *set) rng(spec string) *semver.Range {
	if _, after, ok := strings.Cut(spec, "@"); ok && strings.HasPrefix(spec, "npm:") {
		spec = after
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.ranges[spec]; ok {
		return r
	}
	r, err := semver.ParseRange(spec)
	if err != nil || strings.TrimSpace(spec) == "*" {
		// npm's arborist accepts any version, prereleases too, for "*".
		r = nil
	}
	s.ranges[spec] = r
	return r
}

// satisfies is arborist's validity of an edge: the spec admits the
// installed version.
func (s *set) satisfies(spec string, e *entry) bool {
	if e.Link {
		return true
	}
	r := s.rng(spec)
	if r == nil {
		return true
	}
	v, err := semver.Parse(e.Version)
	if err != nil {
		return true
	}
	return r.Test(v)
}

// resolve finds the entry that require(name) from the package at path
// reaches in chosen: path's own node_modules, then each ancestor's, then
// the root's.
func resolve(chosen map[string]*entry, path, name string) *entry {
	for i := 0; i < 256; i++ {
		at := "node_modules/" + name
		if path != "" {
			at = path + "/node_modules/" + name
		}
		if e := chosen[at]; e != nil {
			return e
		}
		if path == "" {
			return nil
		}
		path = parent(path)
	}
	return nil
}

// forces are the couplings between changed names. For each changed
// package's entries on one side and each requirement on another changed
// name, the requirement is resolved with the target on either side: when
// the new entries need the new target, applying the package needs the
// target applied; when the old entries cannot take the new target,
// applying the target needs the package applied. A nested path needs
// the package it sits in to be there: a name whose new copy sits below a
// path only the new side of another name has needs that name applied.
func (s *set) forces() []manifests.Force {
	var out []manifests.Force
	for _, p := range s.pkgs {
		if !p.changed {
			continue
		}
		for _, side := range []struct {
			mine  map[string]*entry
			isNew bool
		}{{p.new, true}, {p.old, false}} {
			for _, path := range sortedPaths(side.mine) {
				e := side.mine[path]
				for _, r := range e.requirements(false) {
					t := s.byName[r.name]
					if t == nil || !t.changed || t == p {
						continue
					}
					other := t.old
					if !side.isNew {
						other = t.new
					}
					chosen := map[string]*entry{}
					for q, f := range side.mine {
						chosen[q] = f
					}
					for q, f := range other {
						chosen[q] = f
					}
					got := resolve(chosen, path, r.name)
					if got == nil && r.optional || got != nil && s.satisfies(r.spec, got) {
						continue
					}
					has := "no " + r.name
					if got != nil {
						has = r.name + " " + got.Version
					}
					if side.isNew {
						out = append(out, manifests.Force{From: p.name, To: t.name,
							Reason: fmt.Sprintf("%s %s requires %s %s (the old lock has %s)", p.name, e.Version, r.name, r.spec, has)})
					} else {
						out = append(out, manifests.Force{From: t.name, To: p.name,
							Reason: fmt.Sprintf("%s %s requires %s %s (the new lock has %s)", p.name, e.Version, r.name, r.spec, has)})
					}
				}
			}
		}
		for _, side := range []struct {
			mine  map[string]*entry
			lock  *lockFile
			isNew bool
		}{{p.new, s.new, true}, {p.old, s.old, false}} {
			for _, path := range sortedPaths(side.mine) {
				par := parent(path)
				if par == "" {
					continue
				}
				h := s.byName[owner(side.lock, par)]
				if h == nil || !h.changed || h == p {
					continue
				}
				if side.isNew && h.old[par] == nil {
					out = append(out, manifests.Force{From: p.name, To: h.name,
						Reason: fmt.Sprintf("%s sits at %s, below %s, which only the new lock installs", p.name, path, par)})
				}
				if !side.isNew && h.new[par] == nil {
					out = append(out, manifests.Force{From: h.name, To: p.name,
						Reason: fmt.Sprintf("the old %s sits at %s, below %s, which only the old lock installs", p.name, path, par)})
				}
			}
		}
	}
	return out
}

func sortedPaths(m map[string]*entry) []string {
	ps := make([]string, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}
