package checkserver

import (
	"net/http"
	"strings"

	"meshauth.dev/meshauth/checkserver/authn"
)

// bearerToken extracts the token from the Authorization header(s); it is the
// only Authorization parser, so both fronts decide alike. present is false
// when no Authorization header was sent at all. Everything else that is not
// exactly one "Bearer <token>" is invalid, not anonymous: treating a
// malformed credential as "no credential" would let a request fall through
// to a weaker path (Istio itself treats non-Bearer values as anonymous,
// which is the gap this closes).
//
// Surrounding spaces and tabs are dropped first, as RFC 9110 §5.5 says and
// as Go's HTTP server (the HTTP front) and Envoy already do; a gRPC check
// built by hand may still carry them.
func bearerToken(h http.Header, maxBytes int) (token string, present bool, err error) {
	vals := h.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", false, nil
	case len(vals) > 1:
		return "", true, authn.Invalid("more than one Authorization header")
	}
	v := trimOWS(vals[0])
	if authn.HasCTL(v) {
		return "", true, authn.Invalid("control character in Authorization header")
	}
	// Envoy joins repeated headers with "," in gRPC CheckRequest.headers; a
	// comma is never part of a JWT, so it also catches that duplicate form.
	if strings.Contains(v, ",") {
		return "", true, authn.Invalid("comma-joined Authorization header")
	}
	scheme, tok, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true, authn.Invalid("Authorization scheme is not Bearer")
	}
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", true, authn.Invalid("malformed bearer token")
	}
	if len(tok) > maxBytes {
		return "", true, authn.Invalid("bearer token too large")
	}
	return tok, true, nil
}

// trimOWS drops leading and trailing spaces and tabs (RFC 9110 OWS).
func trimOWS(s string) string { return strings.Trim(s, " \t") }
