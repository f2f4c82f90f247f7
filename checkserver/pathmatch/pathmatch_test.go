package pathmatch

import "testing"

func TestPlain(t *testing.T) {
	tests := map[string]bool{
		"/":               true,
		"/a/b":            true,
		"/dex/":           true,
		"/dex/auth/local": true,
		"/a/.well-known":  true,
		"/a/..b/c.d":      true,
		"":                false,
		"dex":             false,
		"http://x/dex":    false,
		"*":               false,
		"//dex":           false,
		"/dex//x":         false,
		"/./dex":          false,
		"/dex/.":          false,
		"/dex/..":         false,
		"/dex/../admin":   false,
		"/dex%2Fauth":     false,
		"/%64ex/":         false,
		"/dex/%2e%2e/a":   false,
		`/dex\..\admin`:   false,
		"/dex/..;/admin":  false,
		"/dex#/x":         false,
		"/dex/\x00":       false,
		"/dex/\x7f":       false,
		"/dex/ x":         false,
		"/dex/\u00e9":     false,
	}
	for in, want := range tests {
		if got := Plain(in); got != want {
			t.Errorf("Plain(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMatcher(t *testing.T) {
	type scenario struct {
		prefixes []string
		path     string
		want     bool
	}
	tests := map[string]scenario{
		"exact":                      {prefixes: []string{"/dex"}, path: "/dex", want: true},
		"below":                      {prefixes: []string{"/dex"}, path: "/dex/auth?x=1", want: true},
		"escapes in query are fine":  {prefixes: []string{"/dex"}, path: "/dex/auth?rd=%2F..%2Fx", want: true},
		"trailing slash prefix":      {prefixes: []string{"/dex/"}, path: "/dex/auth", want: true},
		"trailing slash, bare path":  {prefixes: []string{"/dex/"}, path: "/dex", want: false},
		"not on segment boundary":    {prefixes: []string{"/dex"}, path: "/dexter", want: false},
		"dot-segment escape":         {prefixes: []string{"/dex"}, path: "/dex/../admin", want: false},
		"encoded slash escape":       {prefixes: []string{"/dex"}, path: "/dex%2F..%2Fadmin", want: false},
		"encoded slash into prefix":  {prefixes: []string{"/dex/"}, path: "/dex%2Fauth", want: false},
		"lower-case encoded slash":   {prefixes: []string{"/dex/"}, path: "/dex%2f", want: false},
		"encoded prefix letter":      {prefixes: []string{"/dex/"}, path: "/%64ex/", want: false},
		"double slash into prefix":   {prefixes: []string{"/dex"}, path: "//dex/x", want: false},
		"triple slash into prefix":   {prefixes: []string{"/dex/"}, path: "///dex/", want: false},
		"dot segment before prefix":  {prefixes: []string{"/dex/"}, path: "/./dex/", want: false},
		"double slash below prefix":  {prefixes: []string{"/dex/"}, path: "/dex//x", want: false},
		"query does not match":       {prefixes: []string{"/dex"}, path: "/admin?/dex", want: false},
		"fragment does not match":    {prefixes: []string{"/dex"}, path: "/admin#/dex", want: false},
		"unreadable path":            {prefixes: []string{"/dex"}, path: "/dex/%zz", want: false},
		"no prefixes":                {prefixes: nil, path: "/dex", want: false},
		"root prefix":                {prefixes: []string{"/"}, path: "/anything", want: true},
		"second prefix":              {prefixes: []string{"/a", "/healthz"}, path: "/healthz", want: true},
		"non-plain prefix dropped":   {prefixes: []string{"/d%65x/"}, path: "/d%65x/a", want: false},
		"case differs":               {prefixes: []string{"/dex/"}, path: "/DEX/", want: false},
		"backslash below prefix":     {prefixes: []string{"/dex/"}, path: `/dex/\admin`, want: false},
		"encoded backslash in path":  {prefixes: []string{"/dex/"}, path: "/dex/..%5cadmin", want: false},
		"double-encoded dot-segment": {prefixes: []string{"/dex/"}, path: "/dex/%252e%252e/admin", want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := NewMatcher(tc.prefixes).Match(tc.path); got != tc.want {
				t.Fatalf("Match(%q) with %v = %v, want %v", tc.path, tc.prefixes, got, tc.want)
			}
		})
	}
}
