// Package suggest finds the known name a misspelled one probably meant, for
// "did you mean" hints in error messages.
package suggest

import "strings"

// Closest returns the known name nearest to name by edit distance (case
// and _/- insensitive), or "" when nothing is within a third of its length:
// a far-fetched suggestion is worse than none. Ties go to the smaller name,
// so the hint does not depend on the order of known.
func Closest(name string, known []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	n := norm(name)
	best, bestD := "", len(n)/3+1
	for _, k := range known {
		if d := Distance(n, norm(k)); d < bestD || (d == bestD && best != "" && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

// Distance is the Levenshtein edit distance between a and b.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
