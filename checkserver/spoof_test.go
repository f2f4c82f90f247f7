package checkserver

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"meshauth.dev/meshauth/checkserver/config"
)

// TestSpoofedIdentityHeaders: whatever identity headers a client sends, an
// allow overwrites the ones it sets and removes every other spelling, over
// both protocols (h.both fails if they differ).
func TestSpoofedIdentityHeaders(t *testing.T) {
	h := newHarness(t, nil)
	spoof := [][2]string{
		{"kubeflow-userid", "admin@example.com"}, {"kubeflow_userid", "admin@example.com"},
		{"kubeflow-groups", "admins"}, {"Kubeflow_Groups", "admins"}, {"x-auth-request-email", "admin@example.com"},
	}
	type scenario struct {
		req          req
		wantUser     string
		wantGroups   string
		mustRemove   []string
		mustNotTouch []string
	}
	tests := map[string]scenario{
		"bearer allow overwrites user and groups": {
			req:      req{header: append(bearer(h.token(t, nil)), spoof...)},
			wantUser: "alice@example.com", wantGroups: "admins,dev",
			mustRemove:   []string{"kubeflow_userid", "kubeflow_groups", "x-auth-request-email", "x_auth_request_email"},
			mustNotTouch: []string{"kubeflow-userid", "kubeflow-groups"},
		},
		"identity without groups removes the spoofed groups header": {
			req:          req{header: append(bearer(h.token(t, map[string]any{"groups": nil})), spoof...)},
			wantUser:     "alice@example.com",
			mustRemove:   []string{"kubeflow-groups", "kubeflow_groups", "kubeflow_userid"},
			mustNotTouch: []string{"kubeflow-userid"},
		},
		"skip-auth path removes every spelling": {
			req:        req{path: "/dex/token", header: spoof},
			mustRemove: []string{"kubeflow-userid", "kubeflow_userid", "kubeflow-groups", "kubeflow_groups", "x-auth-request-email"},
		},
		"cookie allow overwrites": {
			req:      req{header: append([][2]string{{"Cookie", goodCookie}}, spoof...)},
			wantUser: "carol@example.com", wantGroups: "dev,viewers",
			mustRemove:   []string{"kubeflow_userid", "kubeflow_groups"},
			mustNotTouch: []string{"kubeflow-userid", "kubeflow-groups"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := h.both(t, tc.req)
			if !got.Allow || got.Upstream["kubeflow-userid"] != tc.wantUser || got.Upstream["kubeflow-groups"] != tc.wantGroups {
				t.Fatalf("got %+v", got)
			}
			for _, n := range tc.mustRemove {
				if !slices.Contains(got.Remove, n) {
					t.Errorf("%s not removed", n)
				}
			}
			// A header that is set must not also be removed: Envoy removes after setting.
			for _, n := range tc.mustNotTouch {
				if slices.Contains(got.Remove, n) {
					t.Errorf("%s is set and removed", n)
				}
			}
		})
	}
}

// TestGRPCHeaderMap covers Envoy's encode_raw_headers form, where repeated
// headers arrive as separate header_map entries with raw_value bytes.
func TestGRPCHeaderMap(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.token(t, nil)
	type scenario struct {
		headers    []*corev3.HeaderValue
		wantStatus int
		wantRemove []string
	}
	tests := map[string]scenario{
		"spoofed identity headers in header_map are removed": {
			headers: []*corev3.HeaderValue{
				{Key: "authorization", RawValue: []byte("Bearer " + tok)},
				{Key: "kubeflow_userid", RawValue: []byte("admin@example.com")},
				{Key: "X-Auth-Request-Email", RawValue: []byte("admin@example.com")},
				{Key: "kubeflow_userid", RawValue: []byte("root@example.com")},
			},
			wantStatus: 200,
			wantRemove: []string{"kubeflow_userid", "x-auth-request-email"},
		},
		"single raw authorization allowed": {
			headers:    []*corev3.HeaderValue{{Key: "authorization", RawValue: []byte("Bearer " + tok)}},
			wantStatus: 200,
		},
		"repeated authorization denied": {
			headers: []*corev3.HeaderValue{
				{Key: "authorization", RawValue: []byte("Bearer " + tok)},
				{Key: "authorization", RawValue: []byte("Bearer " + tok)},
			},
			wantStatus: 401,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := h.checkGRPC(t, &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
				Http: &authv3.AttributeContext_HttpRequest{Method: "GET", Path: "/", HeaderMap: &corev3.HeaderMap{Headers: tc.headers}},
			}}})
			if got.Status != tc.wantStatus {
				t.Fatalf("status %d, want %d", got.Status, tc.wantStatus)
			}
			if strings.Join(got.Remove, ",") != strings.Join(tc.wantRemove, ",") {
				t.Errorf("removes %q, want %q", got.Remove, tc.wantRemove)
			}
		})
	}
	// A check without attributes is denied, not an error Envoy could fail open on.
	if got := h.checkGRPC(t, &authv3.CheckRequest{}); got.Allow || got.Status != http.StatusForbidden {
		t.Fatalf("empty CheckRequest: %+v", got)
	}
}

// TestHTTPPathPrefix: Envoy prepends pathPrefix; the front end strips it
// before matching, and refuses check requests outside it.
func TestHTTPPathPrefix(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.HTTPPathPrefix = "/check" })
	if got := h.viaHTTP(t, req{path: "/dex/x"}); !got.Allow {
		t.Fatalf("prefixed skip path not allowed: %+v", got)
	}
	if got := h.viaHTTP(t, req{path: "/pipeline/"}); got.Downstream["location"] != "/oauth2/start?rd=%2Fpipeline%2F" {
		t.Fatalf("rd should not contain the prefix: %+v", got)
	}
	resp, err := http.Get(strings.TrimSuffix(h.httpURL, "/check") + "/dex/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("request outside the prefix: %d", resp.StatusCode)
	}
}

// TestLogsNeverContainCredentials runs allows and denies with debug logging
// and checks no token or cookie value reaches the log.
func TestLogsNeverContainCredentials(t *testing.T) {
	h := newHarness(t, nil)
	var buf bytes.Buffer
	h.checker.log = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	good := h.token(t, nil)
	bad := h.token(t, map[string]any{"aud": "nope"})
	secrets := []string{good, bad, "s3cr3t-session", "query-token-value"}
	for _, r := range []req{
		{header: bearer(good)}, {header: bearer(bad)}, {header: bearer(good + "x")},
		{header: [][2]string{{"Cookie", "_oauth2_proxy=s3cr3t-session"}}},
		{path: "/x?access_token=query-token-value"},
	} {
		r = r.withDefaults()
		hh := http.Header{}
		for _, kv := range r.header {
			hh.Add(kv[0], kv[1])
		}
		h.checker.Check(context.Background(), "test", &Request{Method: "GET", Path: r.path, Header: hh})
	}
	if buf.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, s := range secrets {
		parts := strings.Split(s, ".") // for JWTs, the signature alone is a tell too
		if strings.Contains(buf.String(), s) || strings.Contains(buf.String(), parts[len(parts)-1]) {
			t.Fatalf("log contains a credential: %s", buf.String())
		}
	}
}

// TestStripHeadersAddToDefaults (issue 16): identity.stripHeaders adds to the
// default list — a client's X-Auth-Request-Email is still removed — and only
// identity.keepHeaders takes a default away; over both fronts.
func TestStripHeadersAddToDefaults(t *testing.T) {
	spoof := [][2]string{{"X-Auth-Request-Email", "admin@example.com"}, {"X-Forwarded-User", "admin"}}
	type scenario struct {
		strip, keep   []string
		removed, kept []string
	}
	tests := map[string]scenario{
		"configured names add to the defaults": {strip: []string{"x-forwarded-user"},
			removed: []string{"x-auth-request-email", "x-forwarded-user"}},
		"defaults without configuration": {removed: []string{"x-auth-request-email"}, kept: []string{"x-forwarded-user"}},
		"keepHeaders removes one default": {strip: []string{"x-forwarded-user"}, keep: []string{"X-Auth-Request-Email"},
			removed: []string{"x-forwarded-user"}, kept: []string{"x-auth-request-email"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(c *config.Config) { c.Identity.StripHeaders, c.Identity.KeepHeaders = tc.strip, tc.keep })
			got := h.both(t, req{header: append(bearer(h.token(t, nil)), spoof...)})
			if !got.Allow {
				t.Fatalf("denied: %+v", got)
			}
			for _, n := range tc.removed {
				if !slices.Contains(got.Remove, n) {
					t.Errorf("%s not removed (remove %v)", n, got.Remove)
				}
			}
			for _, n := range tc.kept {
				if slices.Contains(got.Remove, n) {
					t.Errorf("%s removed", n)
				}
			}
		})
	}
}
