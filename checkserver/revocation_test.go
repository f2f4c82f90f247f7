package checkserver

import (
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

// TestRevocationEvictsCachedTokens (issue 16): when a key leaves the
// issuer's JWKS, the next refresh evicts the cached tokens it had verified;
// before, they kept allowing for up to cache.maxTTL more. Both fronts.
func TestRevocationEvictsCachedTokens(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.JWKS.RefreshInterval = config.D(time.Hour) })
	tok := h.token(t, nil) // signed with k1
	ec := signWith(t, "ec1", h.is.Claims(audience))
	for _, tk := range []string{tok, ec} {
		if got := h.both(t, req{header: bearer(tk)}); !got.Allow {
			t.Fatalf("before revocation: %+v", got)
		}
	}
	h.is.Publish(testissuer.NewKey(t, "ec1", jose.ES256)) // k1 removed, ec1 stays
	if err := h.checker.Verifier().KeySet(h.is.URL).Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := h.both(t, req{header: bearer(tok)}); got.Allow || got.Status != http.StatusUnauthorized {
		t.Fatalf("cached token of a removed key: status %d allow %v, want 401", got.Status, got.Allow)
	}
	if got := h.both(t, req{header: bearer(ec)}); !got.Allow {
		t.Fatalf("token of a key still published: %+v, want allow (and still cached)", got)
	}
}

// TestRevocationTime measures, with the real refresh loop, how long a removed
// key keeps a cached token working: at most jwks.refreshInterval plus one
// fetch. Run at the smallest interval (1s); docs/check-server.md quotes it.
func TestRevocationTime(t *testing.T) {
	const refresh = time.Second
	h := newHarness(t, func(c *config.Config) { c.JWKS.RefreshInterval = config.D(refresh) })
	tok := h.token(t, nil)
	if got := h.both(t, req{header: bearer(tok)}); !got.Allow {
		t.Fatalf("before revocation: %+v", got)
	}
	removed := time.Now()
	h.is.Publish(testissuer.NewKey(t, "ec1", jose.ES256))
	var took time.Duration
	for {
		d := h.checker.decide(t.Context(), &Request{Method: "GET", Path: "/api/x", Header: http.Header{"Authorization": {"Bearer " + tok}}})
		if took = time.Since(removed); !d.Allow {
			break
		}
		if took > 3*refresh {
			t.Fatalf("cached token still allowed %v after its key was removed (refresh %v)", took, refresh)
		}
		time.Sleep(time.Millisecond) // polling a measurement, not synchronising
	}
	t.Logf("revocation took %v with jwks.refreshInterval %v", took.Round(time.Millisecond), refresh)
	if got := h.both(t, req{header: bearer(tok)}); got.Allow {
		t.Fatal("allowed after revocation")
	}
}
