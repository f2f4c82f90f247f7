package checkserver

import (
	"context"
	"errors"
	"net/http"

	"meshauth.dev/meshauth/checkserver/access"
	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/jwtauth"
)

// The access policy (config.Access) is judged by access.Decider, the same
// matches the generator hands the gateway for oauth2-proxy: check-server
// only supplies the request's host and path and the verified identity, so
// the two authorizers cannot drift apart.

// public reports whether the request needs no credentials: a skip path or
// a surely public path of the policy, never on a machine-only host (there,
// only a machine token is let through).
func (c *Checker) public(r *Request) bool {
	if c.machineHost(r) {
		return false
	}
	return c.skip.Match(r.Path) || c.access != nil && c.access.Public(r.Host, r.Path)
}

// machineHost reports whether only bearer tokens count on r's host: no one
// signs in there, so a browser gets the 401 too, not a sign-in redirect,
// and cookies are not even looked at.
func (c *Checker) machineHost(r *Request) bool {
	return c.access != nil && c.access.MachineHost(r.Host)
}

// noMachineToken answers a request without a bearer token on a machine-only host.
func noMachineToken() Decision {
	d := challenge(false)
	d.Result, d.AuthMethod, d.Reason = ResultUnauthenticated, "none", "machine-only host: no bearer token"
	return d
}

// judge applies the policy to an authenticated identity; ok is false with
// the 403 to send when a rule it may reach is not satisfied.
func (c *Checker) judge(r *Request, id authn.Identity) (Decision, bool) {
	if c.access == nil {
		return Decision{}, true
	}
	v := c.access.Decide(r.Host, r.Path, access.Identity{Issuer: id.Issuer, Bearer: bearerMethod(id.Method), Claims: id.Claims})
	if v.Denied == "" {
		return Decision{}, true
	}
	return c.refused(id, v.Denied), false
}

// refused is the 403 of an access denial, the reason in plain text. It is
// never a sign-in redirect, for a browser either: signing in again would
// not change who the caller is.
func (c *Checker) refused(id authn.Identity, why string) Decision {
	return Decision{Status: http.StatusForbidden, Body: "forbidden: " + why + "\n",
		Downstream: []Header{{"Content-Type", "text/plain; charset=utf-8"}},
		Result:     ResultForbidden, AuthMethod: id.Method, Reason: why, User: c.ids.user(id.User)}
}

// bearerMethod: the identity came from a bearer token, which machine rules
// ask for; a session never satisfies them.
func bearerMethod(method string) bool { return method == "jwt" || method == "tokenreview" }

// reviewedClaims are a TokenReview identity's claims for the policy: the
// groups the API server vouched for stand in for the groups claim (the
// token itself is not verified here, so none of its claims count).
func (c *Checker) reviewedClaims(groups []string) map[string][]string {
	if c.access == nil || c.cfg.Access.GroupsClaim == "" {
		return nil
	}
	return map[string][]string{c.cfg.Access.GroupsClaim: groups}
}

// withIDToken gives a session the issuer and claims of the ID token
// oauth2-proxy answered with, verified as a bearer token of the login
// issuer would be, when the policy reads claims. Rules read groups from
// that token's groups claim, a JSON list, never from oauth2-proxy's
// comma-joined groups header, where a group "a,admin" reads as "admin".
// Without a verifiable token the session is refused, whatever the path: a
// rule must never be judged on claims no one vouched for. The identity
// expires with the token, so a cached session is never judged on the
// claims of an expired one.
func (c *Checker) withIDToken(ctx context.Context, r *Request, id authn.Identity, token string) (authn.Identity, *Decision) {
	if len(c.claims) == 0 {
		return id, nil
	}
	verified, err := c.verifyIDToken(ctx, token)
	if errors.Is(err, authn.ErrUnavailable) {
		d := c.failed(r, id.Method, err, false)
		return id, &d
	}
	if err != nil {
		d := c.refused(id, "the session carries no verifiable ID token ("+authn.Reason(err)+")")
		return id, &d
	}
	id.Issuer, id.Claims, id.Expiry = verified.Issuer, verified.Claims, verified.Expiry
	return id, nil
}

func (c *Checker) verifyIDToken(ctx context.Context, token string) (authn.Identity, error) {
	if token == "" {
		return authn.Identity{}, authn.Invalid("oauth2-proxy answered without an Authorization header")
	}
	p, err := jwtauth.Parse(token)
	if err != nil {
		return authn.Identity{}, err
	}
	if !c.jwt.Handles(p.Issuer()) {
		return authn.Identity{}, authn.Invalid("ID token issuer is not configured")
	}
	return c.jwt.Verify(ctx, p)
}
