package constraint

import "strings"

// Intersects reports whether c and o have a version in common, as composer's
// ConstraintInterface::matches answers it: composer's pool decides with it
// whether a replaced or provided range answers a requirement or a conflict
// ("^6.0" meets ">=5.4" but not "<5.4"). The algorithm is composer's own
// (pairwise comparison of the bounds, OR groups tried one by one), so that
// its corner cases (dev-* branches, != against ranges, contiguous OR groups
// merged as MultiConstraint::create merges them) agree with composer's.
func (c *Constraint) Intersects(o *Constraint) bool {
	return matches(c.tree(), o.tree())
}

// node is composer's constraint object tree: a match-all, one comparison,
// or a conjunctive (and) or disjunctive (or) multi-constraint.
type node struct {
	kind  nodeKind
	t     term
	parts []node
}

type nodeKind int

const (
	matchAll nodeKind = iota
	single
	and
	or
)

// tree builds the object parseConstraints returns: one AND group per OR
// member (a group of one comparison is that comparison), then
// MultiConstraint::create over the groups, which merges neighbouring
// groups [>= a, < b] and [>= b, < c] into [>= a, < c].
func (c *Constraint) tree() node {
	groups := make([]node, 0, len(c.groups))
	for _, g := range c.groups {
		groups = append(groups, groupNode(g))
	}
	if len(groups) == 1 {
		return groups[0]
	}
	merged := make([]node, 0, len(groups))
	left := groups[0]
	optimized := false
	for _, right := range groups[1:] {
		if contiguous(left, right) {
			optimized = true
			left = node{kind: and, parts: []node{left.parts[0], right.parts[1]}}
			continue
		}
		merged = append(merged, left)
		left = right
	}
	if !optimized {
		return node{kind: or, parts: groups}
	}
	merged = append(merged, left)
	if len(merged) == 1 {
		return merged[0]
	}
	return node{kind: or, parts: merged}
}

func groupNode(g []term) node {
	leaf := func(t term) node {
		if t.op == "*" {
			return node{kind: matchAll}
		}
		return node{kind: single, t: t}
	}
	if len(g) == 1 {
		return leaf(g[0])
	}
	n := node{kind: and, parts: make([]node, len(g))}
	for i, t := range g {
		n.parts[i] = leaf(t)
	}
	return n
}

// contiguous is optimizeConstraints' test: two groups of exactly ">= x"
// and "< y" where the left one ends where the right one starts.
func contiguous(l, r node) bool {
	if l.kind != and || r.kind != and || len(l.parts) != 2 || len(r.parts) != 2 {
		return false
	}
	for _, p := range [][2]node{{l.parts[0], l.parts[1]}, {r.parts[0], r.parts[1]}} {
		if p[0].kind != single || p[0].t.op != ">=" || p[1].kind != single || p[1].t.op != "<" {
			return false
		}
	}
	return l.parts[1].t.version == r.parts[0].t.version
}

// matches is ConstraintInterface::matches with a as $this and b as the
// provider.
func matches(a, b node) bool {
	switch a.kind {
	case matchAll:
		return true
	case single:
		if b.kind == single {
			return a.t.matchSpecific(b.t)
		}
		return matches(b, a)
	case or:
		for _, p := range a.parts {
			if matches(b, p) {
				return true
			}
		}
		return false
	}
	// A conjunctive group against a disjunctive one iterates over the
	// disjunctive one, or different members could match different parts.
	if b.kind == or {
		return matches(b, a)
	}
	for _, p := range a.parts {
		if !matches(b, p) {
			return false
		}
	}
	return true
}

// matchSpecific is Constraint::matchSpecific without branch comparison:
// whether the two comparisons admit a common version.
func (t term) matchSpecific(p term) bool {
	noEq, pNoEq := strings.ReplaceAll(t.op, "=", ""), strings.ReplaceAll(p.op, "=", "")
	isEq, isNe := t.op == "==", t.op == "!="
	pEq, pNe := p.op == "==", p.op == "!="
	// != admits almost everything, except a branch against a range.
	if isNe || pNe {
		if isNe && !pNe && !pEq && isBranch(p.version) {
			return false
		}
		if pNe && !isNe && !isEq && isBranch(t.version) {
			return false
		}
		if !isEq && !pEq {
			return true
		}
		return compareOp(p.version, t.version, "!=")
	}
	// Two bounds in the same direction (<= 2.0 and < 1.0) always meet.
	if !isEq && noEq == pNoEq {
		return !isBranch(t.version) && !isBranch(p.version)
	}
	v1, v2, op := p.version, t.version, t.op
	if isEq {
		v1, v2, op = t.version, p.version, p.op
	}
	if compareOp(v1, v2, op) {
		// >= 1.0 and < 1.0 share the bound but no version.
		return !(p.op == pNoEq && t.op != noEq && versionCompare(p.version, t.version) == 0)
	}
	return false
}

// compareOp is Constraint::versionCompare without branch comparison: a
// dev-* branch only equals (or differs from) itself.
func compareOp(a, b, op string) bool {
	aBranch, bBranch := isBranch(a), isBranch(b)
	if op == "!=" && (aBranch || bBranch) {
		return a != b
	}
	if aBranch && bBranch {
		return op == "==" && a == b
	}
	if aBranch || bBranch {
		return false
	}
	cmp := versionCompare(a, b)
	switch op {
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	}
	return cmp >= 0
}
