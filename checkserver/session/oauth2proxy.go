// Package session checks browser session cookies by asking oauth2-proxy's
// auth-only endpoint, which answers 202 with X-Auth-Request-* headers for a
// valid session and 401 otherwise. oauth2-proxy stays the only holder of the
// cookie secret; check-server never decodes a cookie.
package session

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// Client is a pooled HTTP client for oauth2-proxy.
type Client struct {
	authURL      string
	cookieName   string
	userHeader   string
	groupsHeader string
	http         *http.Client
}

// New builds a Client from the oauth2Proxy config section.
func New(c config.OAuth2Proxy) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Every cookie check is a round trip: keep plenty of idle connections to
	// the one host so bursts do not open new ones.
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	tr.IdleConnTimeout = 90 * time.Second
	return &Client{
		authURL:      strings.TrimSuffix(c.URL, "/") + c.AuthPath,
		cookieName:   c.CookieName,
		userHeader:   c.UserHeader,
		groupsHeader: c.GroupsHeader,
		http: &http.Client{
			Transport: tr,
			Timeout:   c.Timeout.Duration,
			// A redirect from the auth endpoint is not an answer about the session.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Result is a session check outcome.
type Result struct {
	Identity authn.Identity
	// SetCookie holds refreshed session cookies oauth2-proxy returned; they
	// must reach the browser or a refreshed session is lost.
	SetCookie []string
	// IDToken is the session's ID token, from the Authorization header
	// oauth2-proxy answers with (set_authorization_header); "" when it sent
	// none. Unverified: only the caller's JWT verifier may vouch for it.
	IDToken string
}

// Authenticate sends the session's cookies, and nothing else, to
// oauth2-proxy. The Authorization header is never forwarded: bearer tokens
// were already judged.
func (c *Client) Authenticate(ctx context.Context, s Session) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.authURL, nil)
	if err != nil {
		return Result{}, authn.Unavailable("building oauth2-proxy request")
	}
	req.Header.Set("Cookie", s.Header)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, authn.Unavailable("oauth2-proxy unreachable")
	}
	defer resp.Body.Close()
	// Drain a little so the connection goes back to the pool.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusOK:
	case http.StatusUnauthorized:
		return Result{}, authn.Invalid("no valid session")
	case http.StatusForbidden:
		return Result{}, authn.ErrForbidden
	default:
		return Result{}, authn.Unavailable("oauth2-proxy answered an unexpected status")
	}
	user := strings.TrimSpace(resp.Header.Get(c.userHeader))
	if user == "" {
		return Result{}, authn.Invalid("session has no " + c.userHeader)
	}
	var groups []string
	for _, v := range resp.Header.Values(c.groupsHeader) {
		for _, g := range strings.Split(v, ",") {
			if g = strings.TrimSpace(g); g != "" {
				groups = append(groups, g)
			}
		}
	}
	return Result{
		Identity:  authn.Identity{User: user, Groups: groups, Method: "cookie"},
		SetCookie: resp.Header.Values("Set-Cookie"),
		IDToken:   idToken(resp.Header),
	}, nil
}

// idToken is the token of the answer's one "Bearer <token>" Authorization
// header, else "".
func idToken(h http.Header) string {
	v := h.Values("Authorization")
	if len(v) != 1 {
		return ""
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(v[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return tok
}
