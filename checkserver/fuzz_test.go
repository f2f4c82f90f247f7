package checkserver

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

// FuzzCheckHeaders drives the whole decision with arbitrary Authorization,
// path, cookie and a spoofed header, without network (keys preloaded,
// oauth2-proxy on a closed port). Invariants: no panic; an allow always
// removes the underscore spelling of the user header and never removes a
// header it sets; a deny is 401, 302, 403 or 503; a redirect's rd is a
// local path.
func FuzzCheckHeaders(f *testing.F) {
	k := testissuer.NewKey(f, "k1", jose.RS256)
	iss := "https://issuer.test"
	good := testissuer.Sign(f, k, map[string]any{"iss": iss, "aud": "a", "email": "u@example.com", "exp": time.Now().Add(time.Hour).Unix(), "groups": []string{"g"}}, nil)
	f.Add("Bearer "+good, "/", "", "kubeflow_userid", "admin")
	f.Add("Bearer "+good+", Bearer "+good, "/api/x", "", "", "")
	f.Add("Basic x", "//evil.example/%2e%2e", "", "", "")
	f.Add("", "/dex/../admin?x#y", "_oauth2_proxy=v", "Kubeflow-Groups", "admins")
	f.Add("", "/dex%2Fx", "", "x-auth-request-email", "a@b")
	f.Add("bearer  a.b.c", "/\\evil", "", "", "")

	cfg := config.Default()
	cfg.Issuers = []config.Issuer{{Issuer: iss, JWKSURI: "https://unused.invalid/keys", Audiences: []string{"a"}, UserClaim: "email"}}
	cfg.OAuth2Proxy.URL = "http://127.0.0.1:1"
	cfg.OAuth2Proxy.CookieName = "_oauth2_proxy"
	cfg.OAuth2Proxy.Timeout = config.D(100 * time.Millisecond)
	cfg.SkipAuthPaths = []string{"/dex"}
	cfg.APIRoutes = []string{"^/api/"}
	c, err := NewChecker(cfg, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	c.Verifier().KeySet(iss).Preload([]jose.JSONWebKey{k.JWK()})

	f.Fuzz(func(t *testing.T, authz, path, cookie, name, value string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if cookie != "" {
			h.Set("Cookie", cookie)
		}
		if name != "" {
			h.Add(name, value)
		}
		d := c.Check(context.Background(), "fuzz", &Request{Method: "GET", Path: path, Header: h})
		if d.Allow {
			if !slices.Contains(d.Remove, "kubeflow_userid") {
				t.Fatalf("allow without removing kubeflow_userid: %+v", d)
			}
			for _, u := range d.Upstream {
				if slices.Contains(d.Remove, strings.ToLower(u.Name)) {
					t.Fatalf("header %s both set and removed", u.Name)
				}
			}
			return
		}
		switch d.Status {
		case 401, 403, 503:
		case 302:
			loc := d.Downstream[0].Value
			rd, err := url.QueryUnescape(strings.TrimPrefix(loc, "/oauth2/start?rd="))
			if !strings.HasPrefix(loc, "/oauth2/start?rd=") || err != nil || !strings.HasPrefix(rd, "/") ||
				strings.HasPrefix(rd, "//") || strings.HasPrefix(rd, `/\`) {
				t.Fatalf("unsafe redirect %q", loc)
			}
		default:
			t.Fatalf("deny status %d", d.Status)
		}
	})
}
