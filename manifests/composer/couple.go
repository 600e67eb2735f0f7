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

// linkOK decides a requirement or conflict c against what e replaces or
// provides as composer's pool does: the two ranges must intersect
// (a replace of ^6.0 does not meet a conflict on <5.4). self.version is
// e's version or one of its aliases. A provided constraint the evaluator
// cannot parse is taken as a match: composer wrote it into the lock, and
// composer install has the last word.
func (s *set) linkOK(c *constraint.Constraint, e *entry, provided string) bool {
	if c == nil {
		return true
	}
	if provided == "self.version" {
		return s.versionOK(c, e)
	}
	p := s.constraint(provided)
	return p == nil || s.intersects(c, p)
}

// rootAnswers reports whether the root package answers a requirement on
// key with c in the old or the new composer.json: by what it provides, and
// with replace also by what it replaces. A candidate takes either file's
// link on each name (see rootLinks), so either can stand in.
func (s *set) rootAnswers(key string, c *constraint.Constraint, replace bool) bool {
	for _, r := range []*entry{s.oldRootEntry, s.newRootEntry} {
		if r == nil {
			continue
		}
		ls := r.Provide
		if replace {
			ls = append(ls[:len(ls):len(ls)], r.Replace...)
		}
		for _, l := range ls {
			if l.Key == key && s.linkOK(c, r, l.Constraint) {
				return true
			}
		}
	}
	return false
}

// claims reports whether e is named key or replaces it: composer installs
// at most one package under each such name.
func claims(e *entry, key string) bool {
	if e == nil {
		return false
	}
	if strings.ToLower(e.Name) == key {
		return true
	}
	for _, l := range e.Replace {
		if l.Key == key {
			return true
		}
	}
	return false
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
				for _, c := range s.required(e, l) {
					if w := s.witness(p, side, l.Key, c, idx); w != nil {
						reason := fmt.Sprintf("%s %s requires %s %s", e.Name, e.Version, l.Name, requiredText(e, l))
						if w.key != l.Key {
							reason += fmt.Sprintf(" (provided by %s)", w.name())
						}
						force(w, reason)
					}
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
			// A replace claims the name: whatever claims it on the other
			// side must stay there.
			for _, l := range e.Replace {
				for _, q := range s.providersOf(l.Key) {
					if q != p && q.changed && claims(other(q, side), l.Key) && !claims(mine(q, side), l.Key) {
						force(q, fmt.Sprintf("%s %s replaces %s", e.Name, e.Version, l.Name))
					}
				}
			}
		}
	}
	return fs
}

// mine returns q's entry on side (true = new).
func mine(q *pkgState, side bool) *entry {
	if side {
		return q.new
	}
	return q.old
}

// other returns q's entry on the other side than side (true = new).
func other(q *pkgState, side bool) *entry {
	if side {
		return q.old
	}
	return q.new
}

// witness returns the changed package that must stay at p's side for p's
// requirement on key to hold, or nil when nothing needs to be forced:
// something satisfies it on both sides, or nothing satisfies it at all
// (then the lock itself is inconsistent, which the candidate check
// reports).
//
// The root package can stand in too: a candidate takes the old or the new
// composer.json's replace and provide per name, so a provided name is
// always answered, and a replaced one unless a locked package claims the
// name without answering (then that package must stay at p's side).
func (s *set) witness(p *pkgState, side bool, key string, c *constraint.Constraint, idx providers) *pkgState {
	var pick *pkgState
	for _, w := range idx[key] {
		if !s.answers(mine(w, side), key, c) {
			continue
		}
		if w == p || !w.changed || s.answers(other(w, side), key, c) {
			return nil
		}
		if pick == nil || w.key == key {
			pick = w
		}
	}
	switch {
	case s.rootAnswers(key, c, false):
		return nil
	case s.rootAnswers(key, c, true):
		for _, w := range s.providersOf(key) {
			if w != p && w.changed && claims(other(w, side), key) && !s.answers(other(w, side), key, c) {
				return w
			}
		}
		return nil
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
		for _, c := range s.required(p.new, l) {
			if s.rootAnswers(l.Key, c, false) {
				continue
			}
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
			reason := fmt.Sprintf("%s %s requires %s %s, which %s %s and %s %s satisfy", p.new.Name, p.new.Version, l.Name, requiredText(p.new, l),
				w0.name(), w0.old.Version, w1.name(), w1.new.Version)
			fs = append(fs, manifests.Force{From: w0.name(), To: w1.name(), Reason: reason})
		}
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
