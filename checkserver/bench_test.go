package checkserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"meshauth.dev/meshauth/checkserver/cache"
	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/checkserver/jwtauth"
	"meshauth.dev/meshauth/internal/testissuer"
)

// Hot-path benchmarks (make bench-go; BENCHMARKS.md): one check through the
// Checker and through each front end, token verification, the cache hit and
// the header policy. Allocations per check are the -benchmem column.

type benchEnv struct {
	checker *Checker
	token   string
}

func newBenchEnv(b *testing.B, mutate func(*config.Config)) *benchEnv {
	b.Helper()
	is := testissuer.New(b, testissuer.Options{TLS: true})
	cfg := config.Default()
	cfg.Issuers = []config.Issuer{{
		Issuer: is.URL, JWKSURI: is.JWKSURI, CAFile: is.CAFile, Audiences: []string{"kubeflow"},
		UserClaim: "email", Required: true,
	}}
	cfg.APIRoutes = []string{"^/api/"}
	cfg.OAuth2Proxy.URL = ""
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := NewChecker(cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	c.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for !c.Ready() {
		if time.Now().After(deadline) {
			b.Fatal("checker not ready within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &benchEnv{checker: c, token: is.Token(b, is.Claims("kubeflow"))}
}

// benchProxy points the config at a fake oauth2-proxy /oauth2/auth that
// accepts any session (only its first answer is asked for).
func benchProxy(b *testing.B) func(*config.Config) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Auth-Request-Email", "carol@example.com")
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(srv.Close)
	return func(c *config.Config) { c.OAuth2Proxy.URL, c.OAuth2Proxy.CookieName = srv.URL, "_oauth2_proxy" }
}

func benchRequest(h http.Header) *Request {
	return &Request{Method: "GET", Path: "/api/v1/namespaces", Host: "kubeflow.example.com", Header: h}
}

// BenchmarkCheck is one decision through the Checker (no front end).
func BenchmarkCheck(b *testing.B) {
	cases := []struct {
		name   string
		mutate func(*config.Config)
		header func(tok string) http.Header
		allow  bool
	}{
		{"cached-allow", nil, func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }, true},
		{"uncached-rs256-allow", func(c *config.Config) { c.Cache.Size = 0 }, func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }, true},
		{"deny-anonymous", nil, func(string) http.Header { return http.Header{} }, false},
		// A browser: a 3 KiB oauth2-proxy session cookie next to another
		// cookie, answered from the session cache after the first check.
		{"cached-cookie-allow", benchProxy(b), func(string) http.Header {
			return http.Header{"Cookie": {"_ga=GA1.2.3; _oauth2_proxy=" + strings.Repeat("s", 3<<10)}}
		}, true},
		{"deny-bad-signature", func(c *config.Config) { c.Cache.Size = 0 }, func(tok string) http.Header {
			return http.Header{"Authorization": {"Bearer " + tok[:len(tok)-4] + "AAAA"}}
		}, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			e := newBenchEnv(b, tc.mutate)
			ctx := context.Background()
			h := tc.header(e.token)
			if d := e.checker.Check(ctx, "bench", benchRequest(h.Clone())); d.Allow != tc.allow {
				b.Fatalf("allow = %v, want %v (%s)", d.Allow, tc.allow, d.Reason)
			}
			b.ReportAllocs()
			for b.Loop() {
				e.checker.Check(ctx, "bench", benchRequest(h.Clone()))
			}
		})
	}
}

// BenchmarkFront is a cached allow through each wire front end, in process.
func BenchmarkFront(b *testing.B) {
	e := newBenchEnv(b, nil)
	b.Run("http", func(b *testing.B) {
		hh := &HTTPHandler{Checker: e.checker}
		req := httptest.NewRequest("GET", "/api/v1/namespaces", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			hh.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.Run("grpc", func(b *testing.B) {
		gs := &GRPCServer{Checker: e.checker}
		cr := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
			Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/api/v1/namespaces", Host: "kubeflow.example.com",
				Headers: map[string]string{":method": "GET", ":path": "/api/v1/namespaces", "authorization": "Bearer " + e.token}},
		}}}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := gs.Check(ctx, cr)
			if err != nil || resp.GetStatus().GetCode() != 0 {
				b.Fatalf("check: %v %v", err, resp.GetStatus())
			}
		}
	})
}

// BenchmarkVerifyRS256 is parsing and verifying one RS256 token (no cache).
func BenchmarkVerifyRS256(b *testing.B) {
	e := newBenchEnv(b, nil)
	v := e.checker.Verifier()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := jwtauth.Parse(e.token)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Verify(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHit is hashing a token and finding its identity.
func BenchmarkCacheHit(b *testing.B) {
	e := newBenchEnv(b, nil)
	e.checker.Check(context.Background(), "bench", benchRequest(http.Header{"Authorization": {"Bearer " + e.token}}))
	c := e.checker.Cache()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get(cache.KeyOf(e.token)); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkHeaderPolicy is mapping a verified identity to upstream headers
// and the list of client headers to strip (the allow path after authn).
func BenchmarkHeaderPolicy(b *testing.B) {
	e := newBenchEnv(b, func(c *config.Config) {
		c.Identity.UserPrefix = "oidc:"
		c.Identity.UserTransformers = []config.Transformer{{Match: "^(.*)@example\\.com$", Replace: "$1"}}
	})
	e.checker.Check(context.Background(), "bench", benchRequest(http.Header{"Authorization": {"Bearer " + e.token}}))
	id, ok := e.checker.Cache().Get(cache.KeyOf(e.token))
	if !ok {
		b.Fatal("no cached identity")
	}
	r := benchRequest(http.Header{"Kubeflow-Userid": {"mallory@example.com"}})
	b.ReportAllocs()
	for b.Loop() {
		if d := e.checker.allow(r, id, nil); !d.Allow {
			b.Fatal(d.Reason)
		}
	}
}
