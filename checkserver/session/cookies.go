package session

import (
	"crypto/sha256"
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
	var b strings.Builder
	for _, line := range vals {
		if authn.HasCTL(line) {
			return Session{}, authn.Invalid("control character in Cookie header")
		}
		for part := range strings.FieldsFuncSeq(line, isCookieSep) {
			part = strings.Trim(part, " \t")
			if part == "" {
				continue
			}
			name, _, _ := strings.Cut(part, "=")
			if c.cookieName != "" && !c.isSessionCookie(name) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(part)
		}
	}
	if b.Len() == 0 {
		return Session{}, nil
	}
	s := Session{Present: true, Header: b.String()}
	s.Key = sha256.Sum256([]byte(s.Header))
	return s, nil
}

func isCookieSep(r rune) bool { return r == ';' || r == ',' }

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
