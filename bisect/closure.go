package bisect

import (
	"fmt"
	"slices"
)

// graph holds the units and their closure rules as indexes into units.
type graph struct {
	units []string
	index map[string]int
	req   [][]int // req[i]: units that applying i needs
	rev   [][]int // rev[i]: units that need i
	// order is a topological order (required units first, the diff order
	// among the free ones), so that every prefix of it is closed when the
	// rules have no cycle; the search splits along it.
	order []int
}

func newGraph(units []string, requires map[string][]string) (*graph, error) {
	g := &graph{units: units, index: make(map[string]int, len(units))}
	for i, u := range units {
		if _, dup := g.index[u]; dup {
			return nil, fmt.Errorf("bisect config: unit %q listed twice", u)
		}
		g.index[u] = i
	}
	g.req = make([][]int, len(units))
	g.rev = make([][]int, len(units))
	for k, needs := range requires {
		i, ok := g.index[k]
		if !ok {
			return nil, fmt.Errorf("bisect config: requires names unknown unit %q", k)
		}
		for _, n := range needs {
			j, ok := g.index[n]
			if !ok {
				return nil, fmt.Errorf("bisect config: unit %q requires unknown unit %q", k, n)
			}
			if j != i && !slices.Contains(g.req[i], j) {
				g.req[i] = append(g.req[i], j)
				g.rev[j] = append(g.rev[j], i)
			}
		}
	}
	g.order = g.topo()
	return g, nil
}

// topo is Kahn's algorithm taking the earliest unit of the diff among the
// ready ones; a cycle (which coupling should have merged into one unit) is
// broken at its earliest unit, and closure still holds because every
// candidate is closed explicitly.
func (g *graph) topo() []int {
	n := len(g.units)
	missing := make([]int, n)
	for i := range n {
		missing[i] = len(g.req[i])
	}
	placed := make([]bool, n)
	order := make([]int, 0, n)
	for len(order) < n {
		pick := -1
		for i := range n {
			if !placed[i] && missing[i] == 0 {
				pick = i
				break
			}
		}
		if pick < 0 {
			for i := range n {
				if !placed[i] {
					pick = i
					break
				}
			}
		}
		placed[pick] = true
		order = append(order, pick)
		for _, r := range g.rev[pick] {
			missing[r]--
		}
	}
	return order
}

// closure returns the set with every required unit added (upward closed
// under the rules), as a membership slice.
func (g *graph) closure(set []bool) []bool { return reach(set, g.req) }

// dependents returns the set plus every unit that needs one of its units:
// what must stay unapplied for the set to stay unapplied.
func (g *graph) dependents(set []bool) []bool { return reach(set, g.rev) }

// reach returns the set plus everything reachable from it along edges.
func reach(set []bool, edges [][]int) []bool {
	out := slices.Clone(set)
	stack := make([]int, 0, len(set))
	for i, in := range out {
		if in {
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range edges[i] {
			if !out[j] {
				out[j] = true
				stack = append(stack, j)
			}
		}
	}
	return out
}

// members turns a list of unit indexes into a membership slice.
func (g *graph) members(list []int) []bool {
	set := make([]bool, len(g.units))
	for _, i := range list {
		set[i] = true
	}
	return set
}

// ids returns the sorted ids of a membership slice: the form Probe and Key
// receive.
func (g *graph) ids(set []bool) []string {
	out := []string{}
	for i, in := range set {
		if in {
			out = append(out, g.units[i])
		}
	}
	slices.Sort(out)
	return out
}

// inOrder returns the ids of list in the order of the diff.
func (g *graph) inOrder(list []int) []string {
	s := slices.Clone(list)
	slices.Sort(s)
	out := make([]string, len(s))
	for i, u := range s {
		out[i] = g.units[u]
	}
	return out
}
