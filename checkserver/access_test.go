package checkserver

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"meshauth.dev/meshauth/checkserver/access"
	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

const machineHost = "api.example.com"

// accessHarness is the harness with an access policy and a second,
// machine issuer next to the login issuer:
//   - /kserve/ is public;
//   - /pipeline/ needs the group admin;
//   - /finance/ needs the claim department=finance;
//   - /robots/ needs a token of the machine issuer;
//   - /batch/ needs the group system:serviceaccounts (TokenReview's);
//   - api.example.com takes machine tokens only.
type accessHarness struct {
	*harness
	machines *testissuer.Issuer
}

func newAccessHarness(t *testing.T) accessHarness {
	machines := testissuer.New(t, testissuer.Options{TLS: true})
	h := newHarness(t, func(c *config.Config) {
		c.Issuers = append(c.Issuers, config.Issuer{Issuer: machines.URL, JWKSURI: machines.JWKSURI, CAFile: machines.CAFile,
			Audiences: []string{audience}, Required: true})
		c.Access = access.Policy{
			Rules: []access.Rule{
				{Name: "kserve", Paths: []string{"/kserve/"}, Need: access.Need{Public: true}},
				{Name: "pipeline", Paths: []string{"/pipeline/"}, Need: access.Need{Groups: []string{"admin"}}},
				{Name: "finance", Paths: []string{"/finance/"}, Need: access.Need{Claim: &access.Claim{Name: "department", Values: []string{"finance"}}}},
				{Name: "robots", Paths: []string{"/robots/"}, Need: access.Need{Issuers: []string{machines.URL}}},
				{Name: "batch", Paths: []string{"/batch/"}, Need: access.Need{Groups: []string{"system:serviceaccounts"}}},
			},
			MachineHosts:   []string{machineHost},
			MachineIssuers: []string{machines.URL},
			GroupsClaim:    "groups",
		}
	})
	return accessHarness{h, machines}
}

// user is a bearer request of the login issuer with these claims.
func (h accessHarness) user(t *testing.T, path string, claims map[string]any) req {
	return req{path: path, header: bearer(h.token(t, claims))}
}

// machine is a bearer request of the machine issuer.
func (h accessHarness) machine(t *testing.T, host, path string) req {
	return req{host: host, path: path, header: bearer(h.machines.Token(t, h.machines.Claims(audience)))}
}

// session is a browser request with a session whose ID token holds groups.
func (h accessHarness) session(t *testing.T, path string, groups ...string) req {
	return h.sessionWith(path, h.token(t, map[string]any{"groups": groups}), groups...)
}

// sessions numbers the sessions of sessionWith.
var sessions atomic.Int64

// sessionWith is a browser request with a new session that carries tok as
// its ID token ("" for none) and whose groups header says groups.
func (h accessHarness) sessionWith(path, tok string, groups ...string) req {
	cookie := "_oauth2_proxy=s" + strconv.FormatInt(sessions.Add(1), 10)
	h.idSession(cookie, tok, groups...)
	return req{path: path, header: [][2]string{{"Cookie", cookie}, {"Accept", "text/html"}}}
}

// TestAccessRules: check-server enforces the access policy over both
// fronts, after authentication: a 403 naming the rule for an identity that
// does not satisfy it (never a sign-in redirect), the skip of a surely
// public path, and 401 without a redirect on a machine-only host.
func TestAccessRules(t *testing.T) {
	h := newAccessHarness(t)
	type scenario struct {
		req    func(t *testing.T) req
		status int
		// denied is the reason a 403 gives, in its body on both fronts.
		denied string
	}
	admin := map[string]any{"groups": []string{"dev", "admin"}}
	notAdmin := func(g ...string) map[string]any { return map[string]any{"groups": g} }
	const needsAdmin = "access rule pipeline: needs membership of admin"
	tests := map[string]scenario{
		"group rule admits a member": {req: func(t *testing.T) req { return h.user(t, "/pipeline/runs", admin) }, status: 200},
		"group rule refuses a non-member": {req: func(t *testing.T) req { return h.user(t, "/pipeline/runs", notAdmin("dev")) },
			status: 403, denied: needsAdmin},
		"group rule refuses a token without groups": {req: func(t *testing.T) req { return h.user(t, "/pipeline/", map[string]any{"groups": nil}) },
			status: 403, denied: needsAdmin},
		`"not-admin" is not "admin"`: {req: func(t *testing.T) req { return h.user(t, "/pipeline/", notAdmin("not-admin")) },
			status: 403, denied: needsAdmin},
		`"a,admin" is not "admin"`: {req: func(t *testing.T) req { return h.user(t, "/pipeline/", notAdmin("a,admin")) },
			status: 403, denied: needsAdmin},
		"a non-member may go elsewhere": {req: func(t *testing.T) req { return h.user(t, "/notebooks/", notAdmin("dev")) }, status: 200},
		"a non-member XHR gets 403 too": {req: func(t *testing.T) req {
			r := h.user(t, "/pipeline/", notAdmin("dev"))
			r.header = append(r.header, [2]string{"X-Requested-With", "XMLHttpRequest"})
			return r
		}, status: 403, denied: needsAdmin},

		"claim rule admits the value": {req: func(t *testing.T) req { return h.user(t, "/finance/", map[string]any{"department": "finance"}) }, status: 200},
		"claim rule admits a list holding it": {req: func(t *testing.T) req {
			return h.user(t, "/finance/", map[string]any{"department": []string{"ops", "finance"}})
		}, status: 200},
		"claim rule refuses another value": {req: func(t *testing.T) req { return h.user(t, "/finance/", map[string]any{"department": "sales"}) },
			status: 403, denied: "access rule finance: needs department finance"},
		"claim rule refuses a token without it": {req: func(t *testing.T) req { return h.user(t, "/finance/", nil) },
			status: 403, denied: "access rule finance: needs department finance"},

		"machines-only rule admits a machine token": {req: func(t *testing.T) req { return h.machine(t, "gw.example", "/robots/x") }, status: 200},
		"machines-only rule refuses the login issuer's token": {req: func(t *testing.T) req { return h.user(t, "/robots/x", admin) },
			status: 403, denied: "access rule robots: needs a machine token"},
		"machines-only rule refuses a session": {req: func(t *testing.T) req { return h.session(t, "/robots/x", "admin") },
			status: 403, denied: "access rule robots: needs a machine token"},
		"machines-only rule refuses a session, even with a machine's ID token": {req: func(t *testing.T) req {
			return h.sessionWith("/robots/x", h.machines.Token(t, h.machines.Claims(audience)))
		}, status: 403, denied: "access rule robots: needs a machine token"},
		"machines-only rule refuses a service-account token": {req: func(t *testing.T) req { return req{path: "/robots/x", header: bearer(h.saToken)} },
			status: 403, denied: "access rule robots: needs a machine token"},

		"group rule reads TokenReview's groups": {req: func(t *testing.T) req { return req{path: "/batch/", header: bearer(h.saToken)} }, status: 200},
		"group rule refuses a token outside TokenReview's groups": {req: func(t *testing.T) req { return h.user(t, "/batch/", admin) },
			status: 403, denied: "access rule batch: needs membership of system:serviceaccounts"},

		"session of a member": {req: func(t *testing.T) req { return h.session(t, "/pipeline/", "admin") }, status: 200},
		"session of a non-member gets 403, not a redirect": {req: func(t *testing.T) req { return h.session(t, "/pipeline/", "dev") },
			status: 403, denied: needsAdmin},
		// oauth2-proxy's header says "a,admin", which splits into "admin":
		// groups must come from the ID token's list.
		`session "a,admin" is not "admin"`: {req: func(t *testing.T) req { return h.session(t, "/pipeline/", "a,admin") },
			status: 403, denied: needsAdmin},
		"session claim rule": {req: func(t *testing.T) req {
			return h.sessionWith("/finance/", h.token(t, map[string]any{"department": "finance"}))
		}, status: 200},
		"session claim rule refuses another value": {req: func(t *testing.T) req {
			return h.sessionWith("/finance/", h.token(t, map[string]any{"department": "sales"}))
		}, status: 403, denied: "access rule finance: needs department finance"},
		"session without an ID token fails closed": {req: func(t *testing.T) req { return h.sessionWith("/notebooks/", "", "admin") },
			status: 403, denied: "the session carries no verifiable ID token (oauth2-proxy answered without an Authorization header)"},
		"session with a forged ID token fails closed": {req: func(t *testing.T) req {
			return h.sessionWith("/pipeline/", testissuer.Sign(t, testissuer.Foreign(t, h.is.Signer), h.is.Claims(audience), nil), "admin")
		}, status: 403, denied: "the session carries no verifiable ID token (signature verification failed)"},
		"session with an expired ID token fails closed": {req: func(t *testing.T) req {
			return h.sessionWith("/pipeline/", h.token(t, map[string]any{"groups": []string{"admin"}, "exp": time.Now().Add(-time.Hour).Unix()}), "admin")
		}, status: 403, denied: "the session carries no verifiable ID token (token expired)"},

		"public rule needs no credentials": {req: func(t *testing.T) req { return req{path: "/kserve/models"} }, status: 200},
		"a trick under the public rule is not public": {req: func(t *testing.T) req {
			return req{path: "/kserve/..%2Fpipeline/", header: [][2]string{{"Accept", "application/json"}}}
		}, status: 401},
		"a trick under the public rule is held to the group rule": {req: func(t *testing.T) req {
			return h.user(t, "/kserve/..%2Fpipeline/", notAdmin("dev"))
		}, status: 403, denied: needsAdmin},

		"machine host admits a machine token": {req: func(t *testing.T) req { return h.machine(t, machineHost, "/v1/models") }, status: 200},
		"machine host, any case and port":     {req: func(t *testing.T) req { return h.machine(t, "API.example.com:443", "/v1/models") }, status: 200},
		"machine host refuses the login issuer's token": {req: func(t *testing.T) req {
			r := h.user(t, "/v1/models", admin)
			r.host = machineHost
			return r
		}, status: 403, denied: "this host takes machine tokens only"},
		"machine host refuses a session cookie with 401": {req: func(t *testing.T) req {
			r := h.session(t, "/v1/models", "admin")
			r.host = machineHost
			return r
		}, status: 401},
		"machine host has no public rule": {req: func(t *testing.T) req { return req{host: machineHost, path: "/kserve/models"} }, status: 401},
		"machine host has no skip path":   {req: func(t *testing.T) req { return req{host: machineHost, path: "/dex/auth"} }, status: 401},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := tc.req(t)
			got := h.both(t, r)
			if got.Status != tc.status || got.Allow != (tc.status == http.StatusOK) {
				t.Fatalf("status %d (allow %v), want %d: %+v", got.Status, got.Allow, tc.status, got)
			}
			if loc := got.Downstream["location"]; loc != "" {
				t.Fatalf("redirected to %s", loc)
			}
			if tc.status == http.StatusForbidden {
				h.wantRefusal(t, r, tc.denied)
			}
		})
	}
}

// TestAccessPathTricks: no spelling of /pipeline/ that the gateway, the
// mesh or the app could route there lets a non-member through; a member
// still passes, so the 403 is the rule's and not any odd path's.
func TestAccessPathTricks(t *testing.T) {
	h := newAccessHarness(t)
	type scenario struct{ path string }
	tests := map[string]scenario{
		"without the slash":     {"/pipeline"},
		"merged slashes":        {"//pipeline/"},
		"dot-dot":               {"/a/../pipeline/"},
		"escaped letter":        {"/%70ipeline/"},
		"upper case":            {"/PIPELINE/"},
		"escaped slash dot-dot": {"/static/..%2Fpipeline/"},
		"query":                 {"/pipeline/?x=/notebooks/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := h.both(t, h.user(t, tc.path, map[string]any{"groups": []string{"dev"}})); got.Status != http.StatusForbidden {
				t.Fatalf("non-member: status %d, want 403: %+v", got.Status, got)
			}
			if got := h.both(t, h.user(t, tc.path, map[string]any{"groups": []string{"admin"}})); !got.Allow {
				t.Fatalf("member: %+v, want allow", got)
			}
		})
	}
}

// TestAccessSessionCache: a session cache hit is judged on the ID token's
// claims as the miss was, without asking oauth2-proxy again.
func TestAccessSessionCache(t *testing.T) {
	h := newAccessHarness(t)
	member := h.session(t, "/notebooks/", "admin")
	h.proxyCalls.Store(0)
	if got := h.both(t, member); !got.Allow {
		t.Fatalf("member on an open path: %+v", got)
	}
	member.path = "/pipeline/"
	if got := h.both(t, member); !got.Allow {
		t.Fatalf("member on /pipeline/ from the cache: %+v", got)
	}
	if n := h.proxyCalls.Load(); n != 1 {
		t.Fatalf("%d oauth2-proxy calls, want 1 (the rest from the cache)", n)
	}
}

// TestAccessPublicIsASkip: a path the policy makes public is answered as
// a skip path is, identity headers stripped.
func TestAccessPublicIsASkip(t *testing.T) {
	h := newAccessHarness(t)
	want := h.both(t, req{path: "/dex/auth"})
	got := h.both(t, req{path: "/kserve/models", header: [][2]string{{"Kubeflow-Userid", "admin"}}})
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" || !got.Allow {
		t.Fatalf("public path vs skip path (-skip +public):\n%s", d)
	}
}

// wantRefusal checks a 403's text on both fronts.
func (h accessHarness) wantRefusal(t *testing.T, r req, denied string) {
	t.Helper()
	want := "forbidden: " + denied + "\n"
	resp := h.sendHTTP(t, r)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != want || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("HTTP: %q (%s), want %q (text/plain)", body, resp.Header.Get("Content-Type"), want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cr, err := h.grpc.Check(ctx, grpcCheck(r))
	if err != nil {
		t.Fatal(err)
	}
	dr := cr.GetDeniedResponse()
	ct := ""
	for _, hv := range dr.GetHeaders() {
		if hv.GetHeader().GetKey() == "content-type" {
			ct = hv.GetHeader().GetValue()
		}
	}
	if dr.GetBody() != want || ct != "text/plain; charset=utf-8" {
		t.Errorf("gRPC: %q (%s), want %q (text/plain)", dr.GetBody(), ct, want)
	}
}
