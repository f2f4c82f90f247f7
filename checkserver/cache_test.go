package checkserver

import (
	"context"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	authv1 "k8s.io/api/authentication/v1"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

func (h *harness) check(tok string) Decision {
	return h.checker.Check(context.Background(), "test", &Request{Method: "GET", Path: "/api/x",
		Header: http.Header{"Authorization": {"Bearer " + tok}}})
}

func TestTokenCache(t *testing.T) {
	type scenario struct {
		cacheSize int
		run       func(t *testing.T, h *harness, clock *time.Time)
		wantHits  float64
	}
	tests := map[string]scenario{
		"repeat token is a cache hit": {cacheSize: 100, wantHits: 2, run: func(t *testing.T, h *harness, _ *time.Time) {
			tok := h.token(t, nil)
			for range 3 {
				if d := h.check(tok); !d.Allow {
					t.Fatalf("deny: %+v", d)
				}
			}
		}},
		"cache off (size 0) never hits": {cacheSize: 0, wantHits: 0, run: func(t *testing.T, h *harness, _ *time.Time) {
			tok := h.token(t, nil)
			for range 3 {
				if d := h.check(tok); !d.Allow {
					t.Fatalf("deny: %+v", d)
				}
			}
		}},
		"cached allow ends when the token expires": {cacheSize: 100, wantHits: 1, run: func(t *testing.T, h *harness, clock *time.Time) {
			tok := h.token(t, map[string]any{"exp": clock.Add(time.Minute).Unix()})
			h.check(tok)
			if d := h.check(tok); !d.Allow {
				t.Fatalf("deny while valid: %+v", d)
			}
			*clock = clock.Add(2 * time.Minute) // past exp + leeway
			if d := h.check(tok); d.Allow || d.Reason != "token expired" {
				t.Fatalf("cached allow outlived the token: %+v", d)
			}
		}},
		"denied tokens are not cached": {cacheSize: 100, wantHits: 0, run: func(t *testing.T, h *harness, _ *time.Time) {
			tok := h.token(t, map[string]any{"aud": "other"})
			for range 2 {
				if d := h.check(tok); d.Allow {
					t.Fatal("allowed")
				}
			}
		}},
		"TokenReview result cached no longer than the token lives": {cacheSize: 100, wantHits: 1, run: func(t *testing.T, h *harness, clock *time.Time) {
			c := h.is.Claims("https://kubernetes.default.svc")
			c["iss"], c["exp"] = saIssuer, clock.Add(30*time.Second).Unix()
			tok := testissuer.Sign(t, testissuer.NewKey(t, "sa", jose.RS256), c, nil)
			h.api.Allow(tok, authv1.UserInfo{Username: "system:serviceaccount:ns:sa"})
			h.check(tok)
			h.check(tok)
			if n := h.api.Calls.Load(); n != 1 {
				t.Fatalf("TokenReview calls = %d, want 1 while cached", n)
			}
			*clock = clock.Add(31 * time.Second) // cacheTTL is 1m, exp is 30s
			h.check(tok)
			if n := h.api.Calls.Load(); n != 2 {
				t.Fatalf("TokenReview calls = %d, want 2 after the token expired", n)
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(c *config.Config) { c.Cache.Size = tc.cacheSize })
			clock := time.Now()
			h.checker.Cache().SetClock(func() time.Time { return clock })
			h.checker.Verifier().SetClock(func() time.Time { return clock })
			tc.run(t, h, &clock)
			if got := counterValue(t, h.checker.metrics.cacheHits); got != tc.wantHits {
				t.Fatalf("cache hits = %v, want %v", got, tc.wantHits)
			}
		})
	}
}

// TestKeyRotation: a token signed with a key published after start is
// accepted through the unknown-kid refetch, without waiting for the
// background refresh (the "Jwks doesn't have key to match kid" window).
func TestKeyRotation(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.JWKS.RefreshInterval = config.D(time.Hour) })
	k2 := testissuer.NewKey(t, "k2", jose.RS256)
	h.is.Publish(k2)
	tok := testissuer.Sign(t, k2, h.is.Claims(audience), nil)
	if got := h.both(t, req{header: bearer(tok)}); !got.Allow {
		t.Fatalf("token from the new key denied: %+v", got)
	}
	// The old key is gone: its tokens are now denied.
	if got := h.both(t, req{header: bearer(h.token(t, map[string]any{"sub": "fresh"}))}); got.Allow {
		t.Fatal("token from the rotated-out key allowed")
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
