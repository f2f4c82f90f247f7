package checkserver

import (
	"net/http"
	"strings"

	"meshauth.dev/meshauth/checkserver/authn"
)

// bearerToken extracts the token from the Authorization header(s).
// present is false when no Authorization header was sent at all. Everything
// else that is not exactly one "Bearer <token>" is invalid, not anonymous:
// treating a malformed credential as "no credential" would let a request
// fall through to a weaker path (Istio itself treats non-Bearer values as
// anonymous, which is the gap this closes).
func bearerToken(h http.Header, maxBytes int) (token string, present bool, err error) {
	vals := h.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", false, nil
	case len(vals) > 1:
		return "", true, authn.Invalid("more than one Authorization header")
	}
	v := vals[0]
	// Envoy joins repeated headers with "," in gRPC CheckRequest.headers; a
	// comma is never part of a JWT, so it also catches that duplicate form.
	if strings.Contains(v, ",") {
		return "", true, authn.Invalid("comma-joined Authorization header")
	}
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
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
