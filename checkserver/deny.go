package checkserver

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// denyShaper decides how an unauthenticated request is turned away: 401 for
// API and non-browser clients, a 302 to the oauth2-proxy sign-in otherwise.
type denyShaper struct {
	apiRoutes  []*regexp.Regexp
	signInPath string // empty: no sign-in available, always 401
}

// wantsStatus reports whether the client should get 401 rather than a
// redirect: API routes (matched on the path without query, like
// oauth2-proxy's api_routes), XMLHttpRequest, JSON clients and any request
// that sent an Authorization header (a program, not a browser).
func (s *denyShaper) wantsStatus(r *Request) bool {
	if s.signInPath == "" || len(r.Header.Values("Authorization")) > 0 {
		return true
	}
	if strings.EqualFold(r.Header.Get("X-Requested-With"), "XMLHttpRequest") {
		return true
	}
	for _, a := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(a), "application/json") {
			return true
		}
	}
	p, _, _ := strings.Cut(r.Path, "?")
	for _, re := range s.apiRoutes {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// unauthenticated builds the deny for missing or invalid credentials.
func (s *denyShaper) unauthenticated(r *Request, invalidBearer bool) Decision {
	if s.wantsStatus(r) {
		return challenge(invalidBearer)
	}
	loc := s.signInPath + "?rd=" + url.QueryEscape(safeRedirect(r.Path))
	return Decision{Status: http.StatusFound, Downstream: []Header{{"Location", loc}}}
}

// challenge is the 401 that asks for a bearer token.
func challenge(invalidBearer bool) Decision {
	chal := `Bearer realm="meshauth"`
	if invalidBearer {
		chal += `, error="invalid_token"`
	}
	return Decision{Status: http.StatusUnauthorized, Body: "unauthorized\n",
		Downstream: []Header{{"WWW-Authenticate", chal}}}
}

// safeRedirect returns the original target if it is a local path, else "/".
// "//host" and "/\host" are scheme-relative URLs to browsers: passing them
// as rd= would make sign-in an open redirect.
func safeRedirect(target string) string {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.HasPrefix(target, `/\`) {
		return "/"
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c < 0x21 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	return target
}
