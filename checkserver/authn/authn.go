// Package authn holds what every authenticator shares: the Identity it
// produces and the error classes the decision logic maps to HTTP statuses.
package authn

import (
	"errors"
	"time"
)

// Identity is an authenticated caller.
type Identity struct {
	// User is the raw user name from the credential (before transformers).
	User string
	// Groups from the credential, possibly empty.
	Groups []string
	// Method is the authenticator that produced it: jwt, tokenreview, cookie.
	Method string
	// Expiry is when the credential stops being valid; zero if unknown.
	Expiry time.Time
	// Issuer and KeyRef name the configured issuer and the key (kid and
	// thumbprint) a JWT was verified with; empty for other methods. A cached
	// identity whose key left the issuer's JWKS is evicted.
	Issuer, KeyRef string
	// Claims are the credential's claims the access policy names, each as
	// the strings it holds: a string claim is a list of one, a list keeps
	// its string elements, any other claim is absent. Nil when the policy
	// names none.
	Claims map[string][]string
}

var (
	// ErrInvalid means credentials were presented and rejected. Always wrapped
	// with a reason that is safe to log (never token content).
	ErrInvalid = errors.New("invalid credentials")
	// ErrUnavailable means a dependency (JWKS, API server, oauth2-proxy) could
	// not answer; the check fails closed.
	ErrUnavailable = errors.New("authentication backend unavailable")
	// ErrForbidden means the authority recognised the caller but refused them.
	ErrForbidden = errors.New("forbidden")
)

// reasonError carries a loggable reason and an error class.
type reasonError struct {
	class  error
	reason string
}

func (e *reasonError) Error() string { return e.class.Error() + ": " + e.reason }
func (e *reasonError) Unwrap() error { return e.class }

// Invalid returns an ErrInvalid with reason; reason must not contain secrets.
func Invalid(reason string) error { return &reasonError{ErrInvalid, reason} }

// Unavailable returns an ErrUnavailable with reason.
func Unavailable(reason string) error { return &reasonError{ErrUnavailable, reason} }

// Reason returns the loggable reason of err, or a generic one.
func Reason(err error) string {
	var re *reasonError
	if errors.As(err, &re) {
		return re.reason
	}
	if err == nil {
		return ""
	}
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrForbidden) {
		return err.Error()
	}
	// Unknown errors may quote input; do not echo them.
	return "internal error"
}

// HasCTL reports a control character other than tab, or DEL, in a header
// value. Neither front can pass one to an upstream (Go's HTTP server answers
// 400, Envoy refuses the request), so a check carrying one was not built by
// Envoy from a real request: the credential is invalid.
func HasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}
