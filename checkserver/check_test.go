package checkserver

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"meshauth.dev/meshauth/checkserver/config"
)

// allStrip is every spelling of every identity header; identityStrip is
// what an allow that sets user and groups removes (never what it sets,
// because Envoy removes after setting).
var (
	allStrip = stripList("kubeflow-userid", "kubeflow-groups", "x-auth-request-user", "x-auth-request-email",
		"x-auth-request-groups", "x-auth-request-preferred-username")
	identityStrip = without(allStrip, "kubeflow-userid", "kubeflow-groups")
)

func TestDecisions(t *testing.T) {
	h := newHarness(t, nil)
	type scenario struct {
		req  func(h *harness) req
		want outcome
	}
	tests := map[string]scenario{
		"valid RS256 bearer allowed with user and groups": {
			req: func(h *harness) req { return req{header: bearer(h.token(t, nil))} },
			want: outcome{Allow: true, Status: 200, Remove: identityStrip,
				Upstream: map[string]string{"kubeflow-userid": "alice@example.com", "kubeflow-groups": "admins,dev"}},
		},
		"valid ES256 bearer": {
			req: func(h *harness) req { return req{header: bearer(signWith(t, "ec1", h.is.Claims(audience)))} },
			want: outcome{Allow: true, Status: 200, Remove: identityStrip,
				Upstream: map[string]string{"kubeflow-userid": "alice@example.com", "kubeflow-groups": "admins,dev"}},
		},
		"token without groups removes the groups header": {
			req: func(h *harness) req { return req{header: bearer(h.token(t, map[string]any{"groups": nil}))} },
			want: outcome{Allow: true, Status: 200, Remove: without(allStrip, "kubeflow-userid"),
				Upstream: map[string]string{"kubeflow-userid": "alice@example.com"}},
		},
		"service-account token via TokenReview": {
			req: func(h *harness) req { return req{header: bearer(h.saToken)} },
			want: outcome{Allow: true, Status: 200, Remove: identityStrip,
				Upstream: map[string]string{"kubeflow-userid": "system:serviceaccount:kubeflow:runner", "kubeflow-groups": "system:serviceaccounts"}},
		},
		"session cookie via oauth2-proxy": {
			req: func(h *harness) req { return req{header: [][2]string{{"Cookie", "a=b; " + goodCookie}}} },
			want: outcome{Allow: true, Status: 200, Remove: identityStrip,
				Upstream: map[string]string{"kubeflow-userid": "carol@example.com", "kubeflow-groups": "dev,viewers"}},
		},
		"expired session cookie redirects a browser": {
			req: func(h *harness) req {
				return req{path: "/notebooks/?ns=x", header: [][2]string{{"Cookie", "_oauth2_proxy=stale"}}}
			},
			want: outcome{Status: 302, Downstream: map[string]string{"location": "/oauth2/start?rd=%2Fnotebooks%2F%3Fns%3Dx"}},
		},
		"anonymous browser redirected to sign-in": {
			req:  func(h *harness) req { return req{path: "/pipeline/"} },
			want: outcome{Status: 302, Downstream: map[string]string{"location": "/oauth2/start?rd=%2Fpipeline%2F"}},
		},
		"anonymous API route gets 401": {
			req:  func(h *harness) req { return req{path: "/api/v1/runs"} },
			want: outcome{Status: 401, Downstream: map[string]string{"www-authenticate": `Bearer realm="meshauth"`}},
		},
		"anonymous XHR gets 401": {
			req:  func(h *harness) req { return req{header: [][2]string{{"X-Requested-With", "XMLHttpRequest"}}} },
			want: outcome{Status: 401, Downstream: map[string]string{"www-authenticate": `Bearer realm="meshauth"`}},
		},
		"anonymous JSON client gets 401": {
			req:  func(h *harness) req { return req{header: [][2]string{{"Accept", "application/json"}}} },
			want: outcome{Status: 401, Downstream: map[string]string{"www-authenticate": `Bearer realm="meshauth"`}},
		},
		"invalid bearer on a browser path still 401": {
			req:  func(h *harness) req { return req{path: "/pipeline/", header: bearer("x.y.z")} },
			want: outcome{Status: 401, Downstream: map[string]string{"www-authenticate": `Bearer realm="meshauth", error="invalid_token"`}},
		},
		"invalid bearer is not rescued by a good cookie": {
			req:  func(h *harness) req { return req{header: append(bearer("x.y.z"), [2]string{"Cookie", goodCookie})} },
			want: outcome{Status: 401, Downstream: map[string]string{"www-authenticate": `Bearer realm="meshauth", error="invalid_token"`}},
		},
		"skip-auth path allowed and stripped": {
			req:  func(h *harness) req { return req{path: "/dex/auth?x=1"} },
			want: outcome{Allow: true, Status: 200, Remove: allStrip, Upstream: map[string]string{}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := h.both(t, tc.req(h))
			if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestAllowedGroups(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Identity.AllowedGroups = []string{"admins"} })
	type scenario struct {
		groups     any
		wantStatus int
	}
	tests := map[string]scenario{
		"member allowed":       {groups: []string{"dev", "admins"}, wantStatus: http.StatusOK},
		"non-member forbidden": {groups: []string{"dev"}, wantStatus: http.StatusForbidden},
		"no groups forbidden":  {groups: nil, wantStatus: http.StatusForbidden},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := h.both(t, req{header: bearer(h.token(t, map[string]any{"groups": tc.groups}))})
			if got.Status != tc.wantStatus {
				t.Fatalf("status = %d, want %d", got.Status, tc.wantStatus)
			}
		})
	}
	// A session outside the allow-list is forbidden too (carol is dev,viewers).
	if got := h.both(t, req{header: [][2]string{{"Cookie", goodCookie}}}); got.Status != http.StatusForbidden {
		t.Fatalf("cookie identity outside allowedGroups: status %d", got.Status)
	}
}
