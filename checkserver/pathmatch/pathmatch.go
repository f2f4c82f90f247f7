// Package pathmatch decides whether a request path falls under a skip-auth
// prefix. Skipping authentication is the dangerous direction, so every
// ambiguity (bad escapes, leftover escapes after decoding, control bytes,
// non-origin-form targets) means "no match" and the request is authenticated.
package pathmatch

import (
	"net/url"
	"path"
	"strings"
)

// maxDecodeRounds bounds repeated percent-decoding: "%252e" decodes to "%2e"
// and then to ".", and a backend that decodes twice would see the latter.
const maxDecodeRounds = 3

// Normalize turns a request target (path plus optional query and fragment)
// into a canonical path: query and fragment stripped, percent-escapes
// (including encoded "/" and "\") decoded, "\" read as "/", "//" merged and
// dot-segments resolved. ok is false when the path cannot be read safely.
func Normalize(target string) (p string, ok bool) {
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	p = target
	for round := 0; strings.Contains(p, "%"); round++ {
		if round == maxDecodeRounds {
			return "", false
		}
		d, err := url.PathUnescape(p)
		if err != nil {
			return "", false
		}
		p = d
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "", false
		}
	}
	p = strings.ReplaceAll(p, `\`, "/")
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	return path.Clean(p), true
}

// Matcher matches normalised paths against prefixes on segment boundaries:
// "/dex" matches "/dex" and "/dex/x" but not "/dexter".
type Matcher struct {
	prefixes []string
}

// NewMatcher builds a Matcher; prefixes are normalised the same way paths are,
// and a prefix that cannot be normalised is dropped (config validation
// reports it first).
func NewMatcher(prefixes []string) *Matcher {
	m := &Matcher{}
	for _, p := range prefixes {
		if n, ok := Normalize(p); ok {
			m.prefixes = append(m.prefixes, n)
		}
	}
	return m
}

// Match reports whether target is under one of the prefixes.
func (m *Matcher) Match(target string) bool {
	if m == nil || len(m.prefixes) == 0 {
		return false
	}
	n, ok := Normalize(target)
	if !ok {
		return false
	}
	for _, p := range m.prefixes {
		if p == "/" || n == p || strings.HasPrefix(n, p+"/") {
			return true
		}
	}
	return false
}
