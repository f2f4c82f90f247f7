package pathmatch

import "testing"

func TestNormalize(t *testing.T) {
	type scenario struct {
		in     string
		want   string
		wantOK bool
	}
	tests := map[string]scenario{
		"plain":              {in: "/a/b", want: "/a/b", wantOK: true},
		"query stripped":     {in: "/a?x=/dex", want: "/a", wantOK: true},
		"fragment stripped":  {in: "/a#/dex", want: "/a", wantOK: true},
		"double slash":       {in: "//dex//x", want: "/dex/x", wantOK: true},
		"dot segments":       {in: "/dex/../admin", want: "/admin", wantOK: true},
		"encoded slash":      {in: "/dex%2F..%2Fadmin", want: "/admin", wantOK: true},
		"encoded dots":       {in: "/dex/%2e%2e/admin", want: "/admin", wantOK: true},
		"double encoded":     {in: "/dex/%252e%252e/admin", want: "/admin", wantOK: true},
		"backslash":          {in: `/dex\..\admin`, want: "/admin", wantOK: true},
		"encoded backslash":  {in: "/dex%5c..%5cadmin", want: "/admin", wantOK: true},
		"bad escape":         {in: "/dex/%zz", wantOK: false},
		"too deeply encoded": {in: "/dex/%25252525", wantOK: false},
		"nul byte":           {in: "/dex/%00", wantOK: false},
		"absolute form":      {in: "http://x/dex", wantOK: false},
		"relative":           {in: "dex", wantOK: false},
		"climb above root":   {in: "/../../dex", want: "/dex", wantOK: true},
		"trailing slash":     {in: "/dex/", want: "/dex", wantOK: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := Normalize(tc.in)
			if ok != tc.wantOK || (ok && got != tc.want) {
				t.Fatalf("Normalize(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestMatcher(t *testing.T) {
	type scenario struct {
		prefixes []string
		path     string
		want     bool
	}
	tests := map[string]scenario{
		"exact":                    {prefixes: []string{"/dex"}, path: "/dex", want: true},
		"below":                    {prefixes: []string{"/dex"}, path: "/dex/auth?x=1", want: true},
		"trailing slash prefix":    {prefixes: []string{"/dex/"}, path: "/dex/auth", want: true},
		"not on segment boundary":  {prefixes: []string{"/dex"}, path: "/dexter", want: false},
		"dot-segment escape":       {prefixes: []string{"/dex"}, path: "/dex/../admin", want: false},
		"encoded slash escape":     {prefixes: []string{"/dex"}, path: "/dex%2F..%2Fadmin", want: false},
		"double slash into prefix": {prefixes: []string{"/dex"}, path: "//dex/x", want: true},
		"query does not match":     {prefixes: []string{"/dex"}, path: "/admin?/dex", want: false},
		"fragment does not match":  {prefixes: []string{"/dex"}, path: "/admin#/dex", want: false},
		"unreadable path":          {prefixes: []string{"/dex"}, path: "/dex/%zz", want: false},
		"no prefixes":              {prefixes: nil, path: "/dex", want: false},
		"root prefix":              {prefixes: []string{"/"}, path: "/anything", want: true},
		"second prefix":            {prefixes: []string{"/a", "/healthz"}, path: "/healthz", want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := NewMatcher(tc.prefixes).Match(tc.path); got != tc.want {
				t.Fatalf("Match(%q) with %v = %v, want %v", tc.path, tc.prefixes, got, tc.want)
			}
		})
	}
}
