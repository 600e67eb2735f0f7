package manifests

import (
	"fmt"
	"sort"
	"strings"
)

// Force is a raw coupling between two changed packages: applying From needs
// To applied. Reason is a sentence a user understands, such as
// "symfony/mcp-bundle 0.9.0 requires mcp/sdk ^0.5".
type Force struct {
	From, To string
	Reason   string
}

// Couple groups changes into units. Packages on a cycle of forces become one
// atomic unit (its Reason joins the reasons of the cycle's edges); the other
// forces become closure edges between units, deduplicated, with the first
// reason seen. Units keep the order of changes (the order of their first
// package) and are named u1, u2, …; the result is deterministic for
// deterministic input.
func Couple(changes []Change, forces []Force) ([]Unit, []Edge) {
	idx := map[string]int{}
	for i, c := range changes {
		idx[c.Package] = i
	}
	adj := make([][]int, len(changes))
	for _, f := range forces {
		a, ok1 := idx[f.From]
		b, ok2 := idx[f.To]
		if ok1 && ok2 && a != b {
			adj[a] = append(adj[a], b)
		}
	}
	comp := scc(adj)

	// Order components by their first package.
	order := map[int]int{}
	var units []Unit
	for i, c := range changes {
		k := comp[i]
		if _, ok := order[k]; !ok {
			order[k] = len(units)
			units = append(units, Unit{ID: fmt.Sprintf("u%d", len(units)+1)})
		}
		u := &units[order[k]]
		u.Packages = append(u.Packages, c.Package)
	}
	var reasons = make([][]string, len(units))
	seen := map[[2]int]bool{}
	var edges []Edge
	for _, f := range forces {
		a, ok1 := idx[f.From]
		b, ok2 := idx[f.To]
		if !ok1 || !ok2 || a == b {
			continue
		}
		ua, ub := order[comp[a]], order[comp[b]]
		if ua == ub {
			reasons[ua] = appendUnique(reasons[ua], f.Reason)
			continue
		}
		if seen[[2]int{ua, ub}] {
			continue
		}
		seen[[2]int{ua, ub}] = true
		edges = append(edges, Edge{From: units[ua].ID, To: units[ub].ID, Reason: f.Reason})
	}
	for i := range units {
		units[i].Reason = strings.Join(reasons[i], "; ")
	}
	sort.SliceStable(edges, func(i, j int) bool {
		if edges[i].From != edges[j].From {
			return unitLess(edges[i].From, edges[j].From)
		}
		return unitLess(edges[i].To, edges[j].To)
	})
	return units, edges
}

func unitLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// scc returns, for each node, the id of its strongly connected component
// (Tarjan's algorithm, iterative so that long chains cannot overflow the stack).
func scc(adj [][]int) []int {
	n := len(adj)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ v, e int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(adj[f.v]) {
				w := adj[f.v][f.e]
				f.e++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] && index[w] < low[f.v] {
					low[f.v] = index[w]
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				if p := call[len(call)-1].v; low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
		}
	}
	return comp
}

// Closed reports whether applied (unit ids) is closed under the edges, and
// if not, names the first edge that is violated.
func Closed(applied []string, edges []Edge) (bool, *Edge) {
	in := map[string]bool{}
	for _, a := range applied {
		in[a] = true
	}
	for i, e := range edges {
		if in[e.From] && !in[e.To] {
			return false, &edges[i]
		}
	}
	return true, nil
}
