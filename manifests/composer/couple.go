package composer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lockbisect/lockbisect/manifests"
	"github.com/lockbisect/lockbisect/manifests/composer/constraint"
)

// providers maps a lower-case package name to the packages that answer to
// it on one side: the package of that name, and those that replace or
// provide it.
type providers map[string][]*pkgState

func (s *set) index(side func(*pkgState) *entry) providers {
	idx := providers{}
	for _, p := range s.pkgs {
		e := side(p)
		if e == nil {
			continue
		}
		idx[p.key] = append(idx[p.key], p)
		for _, l := range e.Replace {
			idx[l.Key] = append(idx[l.Key], p)
		}
		for _, l := range e.Provide {
			idx[l.Key] = append(idx[l.Key], p)
		}
	}
	return idx
}

// answers reports whether e, once installed, satisfies a requirement on
// key with constraint c: by its own name and version (or an alias of it),
// or by what it replaces or provides.
func (s *set) answers(e *entry, key string, c *constraint.Constraint) bool {
	if e == nil {
		return false
	}
	if strings.ToLower(e.Name) == key && s.versionOK(c, e) {
		return true
	}
	for _, ls := range [][]link{e.Replace, e.Provide} {
		for _, l := range ls {
			if l.Key == key && s.linkOK(c, e, l.Constraint) {
				return true
			}
		}
	}
	return false
}

func (s *set) versionOK(c *constraint.Constraint, e *entry) bool {
	if c == nil || s.check(c, e.Version) {
		return true
	}
	for _, a := range e.Aliases {
		if s.check(c, a) {
			return true
		}
	}
	return false
}

// linkOK decides a requirement against a replaced or provided version.
// Composer intersects the two constraints; our evaluator checks versions,
// so a provided range that is not one version counts as a match (composer
// install, which the candidate goes through, has the last word).
func (s *set) linkOK(c *constraint.Constraint, e *entry, provided string) bool {
	switch provided {
	case "self.version":
		return s.versionOK(c, e)
	case "", "*":
		return true
	}
	if c == nil {
		return true
	}
	if _, err := constraint.Normalize(provided); err != nil {
		return true
	}
	return s.check(c, provided)
}

// forces derives the coupling between changed packages from every
// candidate entry (the old and the new entry of each change).
//
// An old entry x0 is installed exactly when x is not applied. When x0
// requires n and only a package w at its old state satisfies that, applying
// w needs x applied. A new entry x1 requires n satisfied by w at its new
// state: applying x needs w applied. A conflict (or a replace, which
// conflicts with the replaced package) between x at one state and y at the
// other forces likewise. When several packages could satisfy a requirement
// the one named n is kept (else the first by name): that over-constrains a
// rare provider swap but keeps every closed candidate installable. An
// unchanged package's requirement couples the packages that meet it on
// each side (see unchangedForces).
func (s *set) forces() []manifests.Force {
	var fs []manifests.Force
	for _, p := range s.pkgs {
		if !p.changed {
			fs = s.unchangedForces(fs, p)
			continue
		}
		for _, side := range []bool{false, true} {
			e, idx, otherIdx := p.old, s.oldIdx, s.newIdx
			if side {
				e, idx, otherIdx = p.new, s.newIdx, s.oldIdx
			}
			if e == nil {
				continue
			}
			// force records "x at this side needs q at this side".
			force := func(q *pkgState, reason string) {
				if side {
					fs = append(fs, manifests.Force{From: p.name(), To: q.name(), Reason: reason})
				} else {
					fs = append(fs, manifests.Force{From: q.name(), To: p.name(), Reason: reason})
				}
			}
			for _, l := range e.Require {
				if isPlatform(l.Name) {
					continue
				}
				if w := s.witness(p, side, l, idx); w != nil {
					reason := fmt.Sprintf("%s %s requires %s %s", e.Name, e.Version, l.Name, l.Constraint)
					if w.key != l.Key {
						reason += fmt.Sprintf(" (provided by %s)", w.name())
					}
					force(w, reason)
				}
			}
			for _, l := range e.Conflict {
				if isPlatform(l.Name) {
					continue
				}
				c := s.conflict(e, l.Constraint)
				if c == nil {
					continue
				}
				for _, q := range otherIdx[l.Key] {
					if q != p && q.changed && s.answers(other(q, side), l.Key, c) {
						force(q, fmt.Sprintf("%s %s conflicts with %s %s", e.Name, e.Version, l.Name, l.Constraint))
					}
				}
			}
			for _, l := range e.Replace {
				if q := s.byName[l.Key]; q != nil && q != p && q.changed && other(q, side) != nil {
					force(q, fmt.Sprintf("%s %s replaces %s", e.Name, e.Version, l.Name))
				}
			}
		}
	}
	return fs
}

// other returns q's entry on the other side than side (true = new).
func other(q *pkgState, side bool) *entry {
	if side {
		return q.old
	}
	return q.new
}

// witness returns the changed package that must stay at p's side for p's
// requirement l to hold, or nil when nothing needs to be forced: something
// satisfies it on both sides, or nothing satisfies it at all (then the lock
// itself is inconsistent, which the candidate check reports).
func (s *set) witness(p *pkgState, side bool, l link, idx providers) *pkgState {
	c := s.constraint(l.Constraint)
	var pick *pkgState
	for _, w := range idx[l.Key] {
		mine := w.old
		if side {
			mine = w.new
		}
		if !s.answers(mine, l.Key, c) {
			continue
		}
		if w == p || !w.changed || s.answers(other(w, side), l.Key, c) {
			return nil
		}
		if pick == nil || w.key == l.Key {
			pick = w
		}
	}
	return pick
}

// unchangedForces covers an unchanged package's requirements, which hold
// on both sides but may be met by different packages: the unchanged
// acme/user requires acme/polyfill, which the old lock has and the new one
// drops for acme/core, which replaces it. Then the old provider must stay
// unless the new one is applied: applying the first needs the second.
func (s *set) unchangedForces(fs []manifests.Force, p *pkgState) []manifests.Force {
	for _, l := range p.new.Require {
		if isPlatform(l.Name) {
			continue
		}
		c := s.constraint(l.Constraint)
		var w0, w1 *pkgState
		always := false
		for _, w := range s.providersOf(l.Key) {
			o, n := s.answers(w.old, l.Key, c), s.answers(w.new, l.Key, c)
			if (o && n) || (!w.changed && n) {
				always = true
				break
			}
			if o && (w0 == nil || w.key == l.Key) {
				w0 = w
			}
			if n && (w1 == nil || w.key == l.Key) {
				w1 = w
			}
		}
		if always || w0 == nil || w1 == nil {
			continue
		}
		reason := fmt.Sprintf("%s %s requires %s %s, which %s %s and %s %s satisfy", p.new.Name, p.new.Version, l.Name, l.Constraint,
			w0.name(), w0.old.Version, w1.name(), w1.new.Version)
		fs = append(fs, manifests.Force{From: w0.name(), To: w1.name(), Reason: reason})
	}
	return fs
}

// providersOf returns the packages that answer to key on either side,
// each once: those of the old side in name order, then the others.
func (s *set) providersOf(key string) []*pkgState {
	ps := s.oldIdx[key]
	for _, p := range s.newIdx[key] {
		if !slices.Contains(s.oldIdx[key], p) {
			ps = append(ps[:len(ps):len(ps)], p)
		}
	}
	return ps
}
