package checkserver

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

// mintedToken is what an attacker sends: a JWT-shaped bearer from an issuer
// nobody configured, so it is judged by TokenReview.
func mintedToken(t *testing.T, sub string) string {
	return testissuer.Sign(t, testissuer.NewKey(t, "x", jose.RS256),
		map[string]any{"iss": "https://attacker.example", "sub": sub, "exp": time.Now().Add(time.Hour).Unix()}, nil)
}

// waitFor polls cond with a deadline; nothing sleeps in place of a signal.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestTokenReviewNegativeCache (issue 16): a rejected token is refused from
// the negative cache, over both fronts, with one API-server call in all.
func TestTokenReviewNegativeCache(t *testing.T) {
	h := newHarness(t, nil)
	tok := mintedToken(t, "a")
	for i := 0; i < 5; i++ {
		if got := h.both(t, req{header: bearer(tok)}); got.Status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", got.Status)
		}
	}
	if n := h.api.Calls.Load(); n != 1 {
		t.Fatalf("%d TokenReview calls for one rejected token checked 10 times, want 1", n)
	}
}

// TestTokenReviewSingleFlight: concurrent checks of one token share one call.
func TestTokenReviewSingleFlight(t *testing.T) {
	h := newHarness(t, nil)
	h.api.Hold = make(chan struct{})
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				statuses[i] = h.viaHTTP(t, req{header: bearer(h.saToken)}).Status
			} else {
				statuses[i] = h.viaGRPC(t, req{header: bearer(h.saToken)}).Status
			}
		})
	}
	// Every check is inside the guard and one call is at the API server.
	waitFor(t, "all checks to join", func() bool { return h.checker.TokenReview().Pending() == n && h.api.InFlight.Load() == 1 })
	close(h.api.Hold)
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("check %d: status %d, want 200", i, s)
		}
	}
	if c := h.api.Calls.Load(); c != 1 {
		t.Fatalf("%d TokenReview calls for %d concurrent checks of one token, want 1", c, n)
	}
}

// TestTokenReviewConcurrencyLimit: with every slot busy, another token is
// refused (401) at once without a call; a saturated limiter never allows.
func TestTokenReviewConcurrencyLimit(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Kubernetes.TokenReview.MaxConcurrent = 2 })
	h.api.Hold = make(chan struct{})
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { h.viaGRPC(t, req{header: bearer(mintedToken(t, string(rune('a'+i))))}) })
	}
	waitFor(t, "two calls in flight", func() bool { return h.api.InFlight.Load() == 2 })
	// The honest service-account token is refused too: the limit is global.
	for _, tok := range []string{mintedToken(t, "c"), h.saToken} {
		if got := h.both(t, req{header: bearer(tok)}); got.Allow || got.Status != http.StatusUnauthorized {
			t.Fatalf("saturated: status %d allow %v, want 401", got.Status, got.Allow)
		}
	}
	if c := h.api.Calls.Load(); c != 2 {
		t.Fatalf("%d calls, want 2 (the refused checks must not call)", c)
	}
	close(h.api.Hold)
	wg.Wait()
	if got := h.both(t, req{header: bearer(h.saToken)}); !got.Allow {
		t.Fatalf("after the limit cleared: status %d, want allow", got.Status)
	}
	if got := testCounter(t, h.checker.metrics, "checkserver_tokenreview_total", "limited"); got != 4 {
		t.Fatalf("limited metric %v, want 4 (2 tokens x 2 fronts)", got)
	}
}

// TestTokenReviewRateLimit: at most ratePerSecond calls start per second
// (burst of the same size); the clock is injected.
func TestTokenReviewRateLimit(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Kubernetes.TokenReview.RatePerSecond = 3 })
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	h.checker.TokenReview().SetClock(func() time.Time { return time.Unix(0, now.Load()) })
	for i := range 3 {
		h.viaHTTP(t, req{header: bearer(mintedToken(t, string(rune('a'+i))))})
	}
	if got := h.both(t, req{header: bearer(h.saToken)}); got.Allow || got.Status != http.StatusUnauthorized {
		t.Fatalf("over the rate: status %d allow %v, want 401", got.Status, got.Allow)
	}
	if c := h.api.Calls.Load(); c != 3 {
		t.Fatalf("%d calls, want 3", c)
	}
	now.Add(int64(time.Second))
	if got := h.both(t, req{header: bearer(h.saToken)}); !got.Allow {
		t.Fatalf("a second later: status %d, want allow", got.Status)
	}
}

// testCounter reads one labelled counter from the metrics registry.
func testCounter(t *testing.T, m *Metrics, name, label string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetValue() == label {
					return mt.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
