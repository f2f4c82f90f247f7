package e2e

import (
	"net/http"
	"testing"
)

// TestOAuth2ProxySkipRoutesNoWider (issue 16): the real oauth2-proxy, run
// with the emitted oauth2_proxy.cfg, must not answer 200 without a session
// to a path that is not plainly public. It decodes before matching, so with
// the old skip_auth_routes ["^/dex/"] it allowed "/dex%2Fauth", "/dex%2f"
// and "/%64ex/", and with reverse_proxy = true it trusted a client's
// X-Forwarded-Uri: /dex/. Asked directly, as the ext_authz check asks it.
func TestOAuth2ProxySkipRoutesNoWider(t *testing.T) {
	e := newEnv(t, "oauth2-proxy")
	type scenario struct {
		path   string
		header [2]string
	}
	tests := map[string]scenario{
		"encoded slash":            {path: "/dex%2Fauth"},
		"lower-case encoded slash": {path: "/dex%2f"},
		"encoded prefix letter":    {path: "/%64ex/"},
		"plain public path":        {path: "/dex/auth"},
		"X-Forwarded-Uri":          {path: "/notebooks/", header: [2]string{"X-Forwarded-Uri", "/dex/"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, "http://"+e.o2pAddr+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawPath = tc.path // keep the escapes as sent
			req.Header.Set("Accept", "application/json")
			if tc.header[0] != "" {
				req.Header.Set(tc.header[0], tc.header[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("oauth2-proxy answered 200 without a session to %s (sent %s)", tc.path, resp.Request.URL.RequestURI())
			}
		})
	}
}
