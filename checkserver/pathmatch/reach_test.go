package pathmatch

import (
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

// normalisations are what a gateway, a mesh setting or an app may do to
// a path before routing on it, in any order and any number of them:
// ReachPattern must reach whatever they produce.
var normalisations = map[string]func(string) string{
	"decode": func(p string) string {
		if d, err := url.PathUnescape(p); err == nil {
			return d
		}
		return p
	},
	"backslash": func(p string) string { return strings.ReplaceAll(p, `\`, "/") },
	"merge": func(p string) string {
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		return p
	},
	"params": func(p string) string {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			segs[i], _, _ = strings.Cut(s, ";")
		}
		return strings.Join(segs, "/")
	},
	"dots": func(p string) string {
		trail := strings.HasSuffix(p, "/")
		c := path.Clean("/" + p)
		if trail && c != "/" {
			c += "/"
		}
		return c
	},
	"lower": strings.ToLower,
}

// normalised is every path the normalisations can make of p, in every
// order, each applied at most twice.
func normalised(p string) map[string]bool {
	seen := map[string]bool{p: true}
	frontier := []string{p}
	for round := 0; round < 2*len(normalisations) && len(frontier) > 0; round++ {
		var next []string
		for _, q := range frontier {
			for _, f := range normalisations {
				if r := f(q); !seen[r] && len(seen) < 4096 {
					seen[r] = true
					next = append(next, r)
				}
			}
		}
		frontier = next
	}
	return seen
}

// under: the normalised path is under prefix on a segment boundary,
// with or without the prefix's trailing "/".
func under(p, prefix string) bool {
	prefix = strings.ToLower(strings.TrimSuffix(prefix, "/"))
	p = strings.ToLower(p)
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

var reachPrefixes = []string{"/pipeline/", "/kserve/v1/", "/a.b/", "/x", "/ml-api/"}

var reachTricks = []string{
	"/pipeline", "/pipeline/", "/pipeline/x", "//pipeline/", "/a/../pipeline/", "/%70ipeline/", "/PIPELINE/",
	"/static/..%2Fpipeline/", "/static/..%2fPipeline", `/static\..\pipeline`, "/static/%2e%2e/pipeline/",
	"/static/..;/pipeline/", "/pipeline;x/y", "/;x/pipeline/", "/%2570ipeline/", "/static/%252e%252e%252fpipeline/",
	"/./pipeline/", "/static/./../pipeline", "/pipe%6Cine/", "%2Fpipeline/", `\pipeline\`, "/kserve/v1/m",
	"/kserve//v1/", "/kserve/%2e/v1/", "/kserve/x/../v1/", "/KServe/V1", "/a.b/c", "/a%2eb/", "/x", "/X/",
	"/ml-api/", "/ml%2Dapi/", "/static/pipeline/..", "/pipeline.txt", "/pipelines/", "/static/pipeline",
}

func TestReachFindsEveryNormalisation(t *testing.T) {
	for _, prefix := range reachPrefixes {
		r := NewReach([]string{prefix})
		for _, p := range reachTricks {
			for q := range normalised(p) {
				if under(q, prefix) && !r.Match(p) {
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
		for q := range normalised(p) {
			if under(q, prefix) && !re.MatchString(p) {
				t.Fatalf("prefix %q: %q normalises to %q but ReachPattern misses it", prefix, p, q)
			}
		}
	})
}
