package rawhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDoSendsTheTargetAsWritten(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Host", r.Host)
		w.Write([]byte(r.RequestURI + " " + r.Header.Get("X-A")))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := strings.TrimPrefix(srv.URL, "http://")
	type scenario struct{ target, host, wantBody, wantHost string }
	tests := map[string]scenario{
		"backslash":     {target: `/a/..\b`, host: "h.example", wantBody: `/a/..\b v`, wantHost: "h.example"},
		"escapes kept":  {target: "/a%2Fb%2e", host: "h.example", wantBody: "/a%2Fb%2e v", wantHost: "h.example"},
		"absolute form": {target: "http://evil.example/x", host: "h.example", wantBody: "http://evil.example/x v", wantHost: "evil.example"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := Do(ctx, addr, "GET", tc.target, http.Header{"Host": {tc.host}, "X-A": {"v"}})
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != 200 || r.Body != tc.wantBody || r.Header.Get("X-Host") != tc.wantHost {
				t.Fatalf("got %d %q host %q, want %q host %q", r.Status, r.Body, r.Header.Get("X-Host"), tc.wantBody, tc.wantHost)
			}
		})
	}
	if _, err := Do(ctx, addr, "GET", "/a b", http.Header{"Host": {"h"}}); err == nil {
		t.Error("a target with a space was sent")
	}
}
