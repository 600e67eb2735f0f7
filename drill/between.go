package drill

import "sort"

// Between returns the versions strictly between from and to in the order
// of cmp (ascending), without duplicates.
func Between(versions []string, from, to string, cmp func(a, b string) int) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range versions {
		if seen[v] || cmp(v, from) <= 0 || cmp(v, to) >= 0 {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return cmp(out[i], out[j]) < 0 })
	return out
}
