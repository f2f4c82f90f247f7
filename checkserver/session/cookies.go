package session

import (
	"net/http"
	"strings"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/cache"
)

// Session is the part of a request's cookies that identifies an
// oauth2-proxy session.
type Session struct {
	// Present is false when the request carries no cookie worth asking about.
	Present bool
	// Header is the Cookie header sent to oauth2-proxy: the session cookie
	// and its "_N" split parts with CookieName set, else every cookie.
	Header string
	// Key is the SHA-256 of Header: the session cache key (the cookie itself
	// is never stored).
	Key cache.Key
}

// Parse is the one Cookie parser for both fronts. Every Cookie header is
// split at ";" and at "," (HTTP/2 may send several Cookie headers, and the
// gRPC check joins repeats with ","; an oauth2-proxy cookie never holds a
// comma), surrounding spaces trimmed, empty parts dropped. A control character
// anywhere (CR/LF injection; neither Go's HTTP server nor Envoy would pass
// one) makes the credential invalid — 401, not an outage.
func (c *Client) Parse(h http.Header) (Session, error) {
	vals := h.Values("Cookie")
	if len(vals) == 0 {
		return Session{}, nil
	}
	// Parts are substrings of the header: one session cookie (the usual
	// case) is forwarded and hashed without a copy.
	var one string
	var many []string
	n := 0
	for _, line := range vals {
		if authn.HasCTL(line) {
			return Session{}, authn.Invalid("control character in Cookie header")
		}
		for line != "" {
			part := line
			if i := strings.IndexAny(line, ";,"); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				line = ""
			}
			part = strings.Trim(part, " \t")
			if part == "" {
				continue
			}
			name, _, _ := strings.Cut(part, "=")
			if c.cookieName != "" && !c.isSessionCookie(name) {
				continue
			}
			if n == 0 {
				one = part
			} else {
				if n == 1 {
					many = append(many, one)
				}
				many = append(many, part)
			}
			n++
		}
	}
	if n == 0 {
		return Session{}, nil
	}
	s := Session{Present: true, Header: one}
	if n > 1 {
		s.Header = strings.Join(many, "; ")
	}
	s.Key = cache.KeyOf(s.Header)
	return s, nil
}

// isSessionCookie: the cookie or one of its "_N" split parts (oauth2-proxy
// splits large sessions into name_0, name_1, ...).
func (c *Client) isSessionCookie(name string) bool {
	return name == c.cookieName || (strings.HasPrefix(name, c.cookieName+"_") && isDigits(name[len(c.cookieName)+1:]))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
