// Package checkserver decides Envoy ext_authz checks: it authenticates the
// request (bearer JWT, Kubernetes TokenReview, oauth2-proxy session), maps
// the identity to upstream headers, strips client-sent identity headers and
// otherwise denies with 401, a sign-in redirect, 403 or 503. The HTTP and
// gRPC front ends only translate this Decision to their wire protocol.
package checkserver

import "net/http"

// Request is a check request, independent of the front end.
type Request struct {
	// Method is the original request method.
	Method string
	// Path is the original request target: path and query, still encoded.
	Path string
	// Host is the original :authority.
	Host string
	// Header holds the original request headers, canonical keys, repeated
	// headers kept as separate values.
	Header http.Header
}

// Header is one header name and value.
type Header struct{ Name, Value string }

// Decision is the answer to a check.
type Decision struct {
	Allow bool
	// Status is the HTTP status for the client on deny (401, 302, 403, 503).
	Status int
	// Upstream are headers to set (overwrite) on the upstream request on allow.
	Upstream []Header
	// Remove are lower-case header names to delete from the upstream request
	// on allow. Envoy applies removals after sets, so Remove never names a
	// header in Upstream. The slice is shared between decisions: read only.
	Remove []string
	// Downstream are headers for the client: Location and WWW-Authenticate on
	// deny, refreshed Set-Cookie on allow.
	Downstream []Header
	// Body is the deny body.
	Body string

	// Result, AuthMethod, Reason and User describe the decision for metrics
	// and logs; none of them ever holds a credential.
	Result     string
	AuthMethod string
	Reason     string
	User       string
}

// Result labels.
const (
	ResultAllow           = "allow"
	ResultSkip            = "skip"
	ResultUnauthenticated = "unauthenticated"
	ResultInvalid         = "invalid"
	ResultForbidden       = "forbidden"
	ResultUnavailable     = "unavailable"
)
