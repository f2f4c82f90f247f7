package e2e

import (
	"maps"
	"slices"
	"strings"

	"meshauth.dev/meshauth/internal/pathnorm"
)

// How a request target may be read on its way to an app: the oracle the
// access flows judge what the dashboard received by. It is
// internal/pathnorm, the reference the unit tests and fuzzers hold
// checkserver/pathmatch to, written apart from the rules so the two can
// disagree.

// readings are the paths a target may be read as by some upstream or
// framework (internal/pathnorm: decoding, IIS %u, "\", ";params", "//",
// dot segments, case, trailing dots and blanks, NUL, wide and overlong
// forms), the query and fragment cut off.
func readings(target string) []string {
	p, _, _ := strings.Cut(target, "?")
	p, _, _ = strings.Cut(p, "#")
	return slices.Sorted(maps.Keys(pathnorm.Variants(p)))
}

// landsUnder: some reading of target is /seg or under /seg/.
func landsUnder(target, seg string) bool {
	return slices.ContainsFunc(readings(target), func(p string) bool {
		return p == "/"+seg || strings.HasPrefix(p, "/"+seg+"/")
	})
}

// onlyPublic: every reading of target lies under a public prefix (the
// public rule's /kserve/, the publicPaths /dex/ and /static/).
func onlyPublic(target string) bool {
	for _, p := range readings(target) {
		if !strings.HasPrefix(p, "/kserve/") && !strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/dex/") {
			return false
		}
	}
	return true
}
