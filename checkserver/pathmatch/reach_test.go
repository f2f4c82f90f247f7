package pathmatch

import (
	"regexp"
	"strings"
	"testing"

	"meshauth.dev/meshauth/internal/pathnorm"
)

var reachPrefixes = []string{"/pipeline/", "/kserve/v1/", "/a.b/", "/x", "/ml-api/"}

var reachTricks = []string{
	"/pipeline", "/pipeline/", "/pipeline/x", "//pipeline/", "/a/../pipeline/", "/%70ipeline/", "/PIPELINE/",
	"/static/..%2Fpipeline/", "/static/..%2fPipeline", `/static\..\pipeline`, "/static/%2e%2e/pipeline/",
	"/static/..;/pipeline/", "/pipeline;x/y", "/;x/pipeline/", "/%2570ipeline/", "/static/%252e%252e%252fpipeline/",
	"/./pipeline/", "/static/./../pipeline", "/pipe%6Cine/", "%2Fpipeline/", `\pipeline\`, "/kserve/v1/m",
	"/kserve//v1/", "/kserve/%2e/v1/", "/kserve/x/../v1/", "/KServe/V1", "/a.b/c", "/a%2eb/", "/x", "/X/",
	"/ml-api/", "/ml%2Dapi/", "/static/pipeline/..", "/pipeline.txt", "/pipelines/", "/static/pipeline",
	"/pipeline%20/", "/pipeline%09/", "/pipeline./", "/pipeline%2e/", "/pipeline%ef%bc%8f", "/pipeline%c0%af", "/pipeline%00/",
	"/static%ef%bc%8f..%ef%bc%8fpipeline/", "/static/..／pipeline/", "/kserve. /v1 /", "/a.b./", "/x%00y",
	"/%u0070ipeline/", "/static/%u002e%u002e/pipeline/", "/static/..%u002fpipeline/", "/static/%c0%ae%c0%ae/pipeline/",
	"/static/．．/pipeline/", "/static/%ef%bc%8e%ef%bc%8e%2Fpipeline/", "/PIPE%U004CINE/",
}

func TestReachFindsEveryNormalisation(t *testing.T) {
	for _, prefix := range reachPrefixes {
		r := NewReach([]string{prefix})
		for _, p := range reachTricks {
			for q := range pathnorm.Variants(p) {
				if pathnorm.Under(q, prefix, true) && !r.Match(p) {
					t.Errorf("prefix %q: %q normalises to %q, under it, but ReachPattern misses it", prefix, p, q)
				}
			}
		}
	}
}

// TestReachLeavesOthersAlone: the over-approximation stays away from
// paths no normalisation brings under the prefix.
func TestReachLeavesOthersAlone(t *testing.T) {
	r := NewReach([]string{"/pipeline/"})
	for _, p := range []string{"/", "/pipelines/", "/pipeline.txt", "/notebook/pipeline/", "/static/pipeline", "/dashboard/", "/pipe/line/"} {
		if r.Match(p) {
			t.Errorf("%q cannot become /pipeline/ but ReachPattern matches it", p)
		}
	}
}

func TestReachRoot(t *testing.T) {
	for _, prefixes := range [][]string{nil, {"/"}, {"/x/", "/"}} {
		if got := ReachPattern(prefixes); got != "(?s).*" {
			t.Errorf("ReachPattern(%q) = %q, want .* (every path)", prefixes, got)
		}
	}
}

// FuzzReachFindsEveryNormalisation: no path normalises under the prefix
// without ReachPattern matching it.
func FuzzReachFindsEveryNormalisation(f *testing.F) {
	for _, p := range reachTricks {
		f.Add(p, "/pipeline/")
	}
	f.Fuzz(func(t *testing.T, p, prefix string) {
		if strings.ContainsAny(p, "?") || !Plain(prefix) || len(p) > 64 {
			return
		}
		re := regexp.MustCompile("^(?:" + ReachPattern([]string{prefix}) + ")$")
		for q := range pathnorm.Variants(p) {
			if pathnorm.Under(q, prefix, true) && !re.MatchString(p) {
				t.Fatalf("prefix %q: %q normalises to %q but ReachPattern misses it", prefix, p, q)
			}
		}
	})
}

// FuzzMayReachNeverHidesAMatch: the cheap test before the regex is false
// only where the regex does not match.
func FuzzMayReachNeverHidesAMatch(f *testing.F) {
	for _, p := range reachTricks {
		f.Add(p, "/pipeline/")
	}
	f.Add("/\u212Aserve/", "/kserve/")
	f.Add("/ſtatic/", "/static/")
	f.Fuzz(func(t *testing.T, p, prefix string) {
		if !Plain(prefix) {
			return
		}
		prefixes := []string{prefix}
		if NewReach(prefixes).Match(p) && !MayReach(p, ReachNames(prefixes)) {
			t.Fatalf("prefix %q: ReachPattern matches %q but MayReach says it cannot", prefix, p)
		}
	})
}
