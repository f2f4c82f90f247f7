package checkserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"meshauth.dev/meshauth/checkserver/config"
)

// TestSessionCache (issue 16): oauth2-proxy's allow for a session cookie is
// reused for the TTL over both fronts; a deny is never cached, a refreshed
// session is never cached, the sign-out path drops the entry, and the TTL
// ends it (injected clock).
func TestSessionCache(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.OAuth2Proxy.CookieName = "_oauth2_proxy"
		c.OAuth2Proxy.SignOutPaths = []string{"/oauth2/sign_out", "/logout"}
	})
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	h.checker.Sessions().SetClock(func() time.Time { return time.Unix(0, now.Load()) })
	cookie := func(v string) req {
		return req{path: "/api/x", header: [][2]string{{"Cookie", "other=1; " + v}}}
	}
	calls := func() int64 { return h.proxyCalls.Swap(0) }

	for i := 0; i < 3; i++ {
		if got := h.both(t, cookie(goodCookie)); !got.Allow || got.Upstream["kubeflow-userid"] != "carol@example.com" {
			t.Fatalf("session allow: %+v", got)
		}
	}
	if n := calls(); n != 1 {
		t.Fatalf("%d oauth2-proxy calls for 6 checks of one session, want 1", n)
	}
	// Other cookies are not part of the key: the session is.
	if got := h.both(t, req{path: "/api/x", header: [][2]string{{"Cookie", goodCookie + "; other=2"}}}); !got.Allow || calls() != 0 {
		t.Fatalf("same session, other cookies: %+v (must be a hit)", got)
	}

	for i := 0; i < 2; i++ {
		if got := h.both(t, cookie("_oauth2_proxy=forged")); got.Allow || got.Status != http.StatusUnauthorized {
			t.Fatalf("bad session: %+v", got)
		}
	}
	if n := calls(); n != 4 {
		t.Fatalf("%d oauth2-proxy calls for 4 checks of a bad session, want 4 (a deny is never cached)", n)
	}

	for i := 0; i < 2; i++ {
		if got := h.both(t, cookie(refreshCookie)); !got.Allow {
			t.Fatalf("refreshed session: %+v", got)
		}
	}
	if n := calls(); n != 4 {
		t.Fatalf("%d oauth2-proxy calls for 4 checks of a refreshing session, want 4 (its Set-Cookie must reach the browser)", n)
	}

	// Sign-out (a skip path, and the logout route) drops the cached session.
	for _, p := range []string{"/oauth2/sign_out?rd=%2F", "/logout"} {
		h.viaGRPC(t, req{path: p, header: [][2]string{{"Cookie", goodCookie}}})
		if got := h.viaHTTP(t, cookie(goodCookie)); !got.Allow {
			t.Fatalf("after %s: %+v", p, got)
		}
		if n := calls(); n != 1 {
			t.Fatalf("after %s: %d oauth2-proxy calls, want 1 (the entry must be gone)", p, n)
		}
	}

	// The TTL (default 10s) ends the entry.
	now.Add(int64(config.Default().OAuth2Proxy.SessionCache.TTL.Duration))
	h.viaHTTP(t, cookie(goodCookie))
	if n := calls(); n != 1 {
		t.Fatalf("after the TTL: %d oauth2-proxy calls, want 1", n)
	}
}
