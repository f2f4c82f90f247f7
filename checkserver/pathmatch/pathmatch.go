// Package pathmatch decides whether a request path falls under a skip-auth
// prefix. Skipping authentication is the dangerous direction, so the rule is
// the narrowest one that is right under every Istio pathNormalization
// setting (NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES): Envoy
// routes, and Istio's policies match, on the path after that setting's
// normalisation, and check-server sees that same path. A path skips only
// when it is already plain — nothing any normalisation (or a backend that
// decodes once more) could change — and starts with a prefix on a segment
// boundary. Anything else is authenticated: an encoded "/", "\" or prefix
// letter, a dot-segment, "//", ";", a control or non-ASCII byte, a fragment.
// Decoding and cleaning before matching, as the old matcher did, skipped
// paths Envoy routes elsewhere under NONE ("/%64ex/", "//dex/" ...).
package pathmatch

import "strings"

// Path returns the path part of a request target (the query cut off) and
// whether it is plain: an origin-form path that every normalisation leaves
// as it is. Only plain paths may skip authentication.
func Path(target string) (string, bool) {
	p, _, _ := strings.Cut(target, "?")
	return p, Plain(p)
}

// Plain reports whether p starts with "/" and has no "%", "\", ";", "#",
// no byte outside printable ASCII, no empty segment ("//") and no "." or
// ".." segment.
func Plain(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	segStart := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) {
			c := p[i]
			if c != '/' && !plainByte(c) {
				return false
			}
			if c != '/' {
				continue
			}
		}
		switch seg := p[segStart:i]; {
		case seg == "" && i < len(p): // "//" ("/x/" at the end is fine)
			return false
		case seg == "." || seg == "..":
			return false
		}
		segStart = i + 1
	}
	return true
}

// plainByte: a byte a plain path may hold in a segment: printable ASCII
// but "%", "\\", ";" and "#" ("/" separates segments).
func plainByte(c byte) bool {
	return c > 0x20 && c < 0x7f && c != '/' && c != '%' && c != '\\' && c != ';' && c != '#'
}

// Matcher matches plain paths against prefixes on segment boundaries: "/dex"
// matches "/dex" and "/dex/x" but not "/dexter"; "/dex/" matches "/dex/" and
// below but not "/dex" (a VirtualService prefix "/dex/" does not route
// "/dex" to Dex either).
type Matcher struct {
	prefixes []string
}

// NewMatcher builds a Matcher; a prefix that is not plain is dropped (config
// validation reports it first).
func NewMatcher(prefixes []string) *Matcher {
	m := &Matcher{}
	for _, p := range prefixes {
		if Plain(p) {
			m.prefixes = append(m.prefixes, p)
		}
	}
	return m
}

// Match reports whether target (path and query, still encoded) is a plain
// path under one of the prefixes.
func (m *Matcher) Match(target string) bool {
	if m == nil || len(m.prefixes) == 0 {
		return false
	}
	p, ok := Path(target)
	if !ok {
		return false
	}
	for _, pre := range m.prefixes {
		if Under(p, pre) {
			return true
		}
	}
	return false
}

// Under reports whether the plain path p is under prefix on a segment boundary.
func Under(p, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(p, prefix)
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
