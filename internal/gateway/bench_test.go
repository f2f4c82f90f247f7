package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkChain: one request through the meshauth filter chain (rbac
// shadow, ext_authz over HTTP to a loopback stub, jwt_authn RS256, rbac
// DENY, router to a loopback upstream), in process, against the same
// request sent straight to the upstream.
func BenchmarkChain(b *testing.B) {
	s := newSigner(b, "k1")
	tok := s.token(b, map[string]any{"iss": iss, "sub": "u1", "email": "alice@example.com", "groups": []string{"a"}})
	authz := handlerServer(b, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Authorization", "Bearer "+tok) })
	up := handlerServer(b, func(w http.ResponseWriter, r *http.Request) {})
	g, err := New(meshauthChain(b, s, nil), Options{Clusters: map[string]string{dashCluster: up, authzCluster: authz}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("gateway_session", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest("GET", "/api/x", nil)
			req.Header.Set("Cookie", "session=ok")
			w := httptest.NewRecorder()
			g.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.Run("gateway_bearer", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest("GET", "/api/x", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			g.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.Run("upstream_direct", func(b *testing.B) {
		c := &http.Client{Transport: &http.Transport{Proxy: nil}}
		for b.Loop() {
			resp, err := c.Get("http://" + up + "/api/x")
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}
