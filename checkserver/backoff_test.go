package checkserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

// TestIssuerThatNeverLoadsBacksOff (issue 16): a required issuer that is
// down is retried about once a second for the first minute, then with
// backoff up to jwks.refreshInterval — not every second forever — and
// /readyz says 503 the whole time and 200 once keys load. The clock and the
// refresh timer are injected: the test fires each wait itself.
func TestIssuerThatNeverLoadsBacksOff(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	is.SetDown(true)
	cfg := config.Default()
	cfg.Listen = config.Listen{HTTP: "127.0.0.1:0", Ops: "127.0.0.1:0"}
	cfg.OAuth2Proxy.URL = ""
	cfg.Issuers = []config.Issuer{{Issuer: is.URL, JWKSURI: is.JWKSURI, CAFile: is.CAFile, Audiences: []string{audience}, Required: true}}
	s, err := NewServer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	asked := make(chan time.Duration)
	fire := make(chan time.Time)
	s.Checker.Verifier().KeySet(is.URL).SetClock(
		func() time.Time { return time.Unix(0, now.Load()) },
		func(d time.Duration) <-chan time.Time { asked <- d; return fire })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.Checker.Run(ctx)
	readyz := func() int {
		rec := httptest.NewRecorder()
		s.OpsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code
	}

	refresh := cfg.JWKS.RefreshInterval.Duration
	var elapsed time.Duration
	fetches, atRefresh := 0, 0
	for {
		d := <-asked
		fetches++
		if code := readyz(); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz = %d while the required issuer never loaded", code)
		}
		switch {
		case elapsed < time.Minute && d > time.Second:
			t.Fatalf("wait %v at %v: the first minute retries at least once a second", d, elapsed)
		case elapsed >= time.Minute+time.Second && d <= time.Second:
			t.Fatalf("wait %v at %v: after the first minute retries must back off", d, elapsed)
		case d > refresh:
			t.Fatalf("wait %v beyond the refresh interval %v", d, refresh)
		case d == refresh:
			atRefresh++
		}
		elapsed += d
		if atRefresh == 3 {
			break // the Run loop waits for this timer
		}
		now.Add(int64(d))
		fire <- time.Time{}
	}
	t.Logf("%d fetches in %v of outage (at 1/s it would be %d)", fetches, elapsed.Round(time.Second), int(elapsed/time.Second))
	if fetches > 90 {
		t.Fatalf("%d fetches in %v: not backing off", fetches, elapsed)
	}

	is.SetDown(false)
	now.Add(int64(refresh))
	fire <- time.Time{}
	if d := <-asked; d != refresh {
		t.Fatalf("after the issuer came back: wait %v, want the refresh interval", d)
	}
	if code := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz = %d once keys loaded", code)
	}
}
