package pathmatch

import (
	"regexp"
	"strings"
	"testing"
)

// patternPrefixes are the prefix sets the pattern is checked with.
var patternPrefixes = [][]string{{"/dex/"}, {"/dex"}, {"/dex/", "/static/", "/kserve/v1/"}, {"/a.b/", "/x-y~z/"}}

// samePaths are tricky paths for every prefix set: each must get the same
// answer from Pattern and Matcher.
var samePaths = []string{
	"/dex", "/dex/", "/dex/auth", "/dex/auth/", "/dexter", "/dex//x", "/dex/./x", "/dex/../x",
	"/dex/..", "/dex/.", "/dex/...", "/dex/.../x", "/dex/..x", "/dex/x..", "/dex/.x/",
	"/dex%2Fx", "/dex/%2e%2e/x", "/dex/..%2Fx", `/dex/..\x`, "/dex/..;/x", "/dex/x;y", "/dex/x#y",
	"/DEX/", "//dex/", "/./dex/", "/static/", "/static/a.css", "/static/..%5Cx", "/kserve/v1/models/a:predict",
	"/kserve/v1", "/kserve/v1/", "/a.b/c", "/aXb/c", "/x-y~z/", "/dex/\x7f", "/dex/ x", "/dex/\u00e9", "/dex/\x00",
	"/", "", "dex/", "/dex/a/b/c/d/e/f/g/h", `/dex/a"b`, "/dex/a[b]", "/dex/$&'()*+,=:@!",
}

func TestPatternSameAsMatcher(t *testing.T) {
	for _, prefixes := range patternPrefixes {
		re := regexp.MustCompile(`^(?:` + Pattern(prefixes) + `)$`)
		m := NewMatcher(prefixes)
		for _, p := range samePaths {
			if got, want := re.MatchString(p), m.Match(p); got != want {
				t.Errorf("prefixes %v, path %q: Pattern matches = %v, Matcher = %v", prefixes, p, got, want)
			}
		}
	}
}

func TestPatternEmpty(t *testing.T) {
	if p := Pattern(nil); p != "" {
		t.Errorf("Pattern(nil) = %q, want empty (nothing public)", p)
	}
	if p := Pattern([]string{"/d%65x/"}); p != "" {
		t.Errorf("a prefix that is not plain must be dropped, got %q", p)
	}
}

// FuzzPatternSameAsMatcher: for any path, the regex the gateway runs
// and the matcher check-server runs agree.
func FuzzPatternSameAsMatcher(f *testing.F) {
	for _, p := range samePaths {
		f.Add(p, "/dex/")
	}
	f.Add("/a/b", "/a")
	f.Fuzz(func(t *testing.T, path, prefix string) {
		if strings.ContainsRune(path, '?') {
			return // the gateway's url_path has no query
		}
		pat := Pattern([]string{prefix})
		got := pat != "" && regexp.MustCompile(`^(?:`+pat+`)$`).MatchString(path)
		if want := NewMatcher([]string{prefix}).Match(path); got != want {
			t.Fatalf("prefix %q, path %q: Pattern = %v, Matcher = %v", prefix, path, got, want)
		}
	})
}
