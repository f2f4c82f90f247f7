package checkserver

import (
	"net/http"
	"testing"
)

// TestSkipRouteBypass (issue 16): a skip-auth prefix is honoured only for a
// plain path that lands in it on a segment boundary. Every spelling that
// some Istio pathNormalization setting routes elsewhere — or that a backend
// decoding once more reads differently — is authenticated, over both fronts.
// The harness skips "/dex" and "/static/public/".
func TestSkipRouteBypass(t *testing.T) {
	h := newHarness(t, nil)
	type scenario struct {
		path string
		skip bool
	}
	tests := map[string]scenario{
		"control: under /dex":             {path: "/dex/auth?client_id=x&rd=%2F", skip: true},
		"control: /dex itself":            {path: "/dex", skip: true},
		"control: under /static/public/":  {path: "/static/public/app.css", skip: true},
		"double slash before prefix":      {path: "//dex/"},
		"triple slash before prefix":      {path: "///dex/"},
		"encoded slash after prefix":      {path: "/dex%2Fauth"},
		"lower-case encoded slash":        {path: "/dex%2f"},
		"encoded prefix letter":           {path: "/%64ex/"},
		"dot segment before prefix":       {path: "/./dex/"},
		"dot-dot out of prefix":           {path: "/dex/../admin"},
		"encoded dot-dot out of prefix":   {path: "/dex/%2e%2e/admin"},
		"double-encoded dot-dot":          {path: "/dex/%252e%252e/admin"},
		"encoded backslash":               {path: "/dex/..%5cadmin"},
		"path parameter dot-dot":          {path: "/dex/..;/admin"},
		"double slash inside prefix":      {path: "/static//public/x"},
		"double slash below prefix":       {path: "/static/public//x"},
		"prefix without its trailing /":   {path: "/static/public"},
		"prefix without segment boundary": {path: "/dexter"},
		"trailing dot segment":            {path: "/dex/."},
		"encoded slash inside prefix":     {path: "/static%2Fpublic/x"},
		"skip prefix only in the query":   {path: "/admin?next=/dex/"},
		"upper-case prefix":               {path: "/DEX/"},
	}
	// Go's HTTP client escapes "\" itself, so the raw backslash goes over gRPC
	// only; its escaped form is the "encoded backslash" case above.
	if got := h.viaGRPC(t, req{path: `/dex/..\admin`}); got.Allow || got.Status != http.StatusFound {
		t.Fatalf("raw backslash: %+v, want 302", got)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := h.both(t, req{path: tc.path})
			if tc.skip {
				if !got.Allow {
					t.Fatalf("%s: denied %d, want skip", tc.path, got.Status)
				}
				return
			}
			// A browser without credentials: the sign-in redirect, never an allow.
			if got.Allow || got.Status != http.StatusFound {
				t.Fatalf("%s: status %d allow %v, want 302 (authenticate)", tc.path, got.Status, got.Allow)
			}
		})
	}
}
