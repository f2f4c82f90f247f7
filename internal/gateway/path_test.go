package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"meshauth.dev/meshauth/internal/rawhttp"
)

// TestCanonicalPath: Envoy's path_utility_test (NormalizeValidPaths,
// NormalizeCasePath, InvalidPaths) and Chromium's unreserved decoding.
func TestCanonicalPath(t *testing.T) {
	valid := map[string]string{
		"/xyz": "/xyz", "/x/y/z": "/x/y/z",
		"/a/b/../c": "/a/c", "/a/b/./c": "/a/b/c", "a/b/../c": "/a/c", "/a/b/../../../../c": "/c",
		`/a/..\c`: "/c", "/%c0%af": "/%c0%af", "/%5c%25": "/%5c%25", "/a/b/%2E%2E/c": "/a/c",
		"/a/b/%2E./c": "/a/c", "/a/b/%2E/c": "/a/b/c", "..": "/", "/../a/b": "/a/b", "/./a/b": "/a/b",
		"/A/B/C": "/A/B/C", "/a/b/%2e%2e/c": "/a/c", "/a/%2F%2f/c": "/a/%2F%2f/c",
		// Escapes of unreserved bytes are decoded (RFC 3986 6.2.2.2).
		"/%70ipeline/": "/pipeline/", "/static/.%2e/jupyter/": "/jupyter/", "/a/%7e%41": "/a/~A",
		// Kept: reserved or other escapes, ";" and the empty segment.
		"/static/..%2Fjupyter/": "/static/..%2Fjupyter/", "/static/..;/jupyter/": "/static/..;/jupyter/",
		"//static/": "//static/", "/a%3Bb": "/a%3Bb", "/a%zz": "/a%zz",
	}
	for in, want := range valid {
		got, err := canonicalPath(in)
		if err != nil || got != want {
			t.Errorf("canonicalPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/xyz/.%00../abc", "/xyz/%00.%00./abc", "/xyz/AAAAA%%0000/abc", "/a b", "/a\x7f", "/\u00e9", "/a<b"} {
		if got, err := canonicalPath(in); err == nil {
			t.Errorf("canonicalPath(%q) = %q, want an error (400)", in, got)
		}
	}
}

// TestPathNormalizationSettings: Istio's pathNormalization settings as
// istiod writes them, in Envoy's order (escaped slashes, normalize, merge).
func TestPathNormalizationSettings(t *testing.T) {
	type scenario struct {
		norm       pathNormalization
		in, want   string
		status     int // a local reply instead
		redirected bool
	}
	base := pathNormalization{normalize: true}
	merge := pathNormalization{normalize: true, mergeSlashes: true}
	decode := pathNormalization{normalize: true, mergeSlashes: true, escapedAction: hcm.HttpConnectionManager_UNESCAPE_AND_FORWARD}
	tests := map[string]scenario{
		"NONE keeps everything":            {norm: pathNormalization{}, in: `/static/..\x/%2e%2e/`, want: `/static/..\x/%2e%2e/`},
		"BASE resolves %2e":                {norm: base, in: "/static/%2e%2e/jupyter/", want: "/jupyter/"},
		"BASE keeps %2F":                   {norm: base, in: "/static/..%2Fjupyter/", want: "/static/..%2Fjupyter/"},
		"BASE folds backslash":             {norm: base, in: `/static/..\jupyter/`, want: "/jupyter/"},
		"BASE keeps //":                    {norm: base, in: "//jupyter//x", want: "//jupyter//x"},
		"MERGE_SLASHES":                    {norm: merge, in: "//jupyter//x", want: "/jupyter/x"},
		"DECODE_AND_MERGE decodes %2F":     {norm: decode, in: "/static/..%2Fjupyter/", want: "/jupyter/"},
		"DECODE_AND_MERGE decodes %5C":     {norm: decode, in: "/static/..%5cjupyter/", want: "/jupyter/"},
		"query untouched":                  {norm: decode, in: "/a//b?x=..%2F//", want: "/a/b?x=..%2F//"},
		"REJECT escaped slash":             {norm: pathNormalization{escapedAction: hcm.HttpConnectionManager_REJECT_REQUEST}, in: "/a%2Fb", status: 400},
		"UNESCAPE_AND_REDIRECT":            {norm: pathNormalization{normalize: true, escapedAction: hcm.HttpConnectionManager_UNESCAPE_AND_REDIRECT}, in: "/a%2F../b", want: "/b", redirected: true},
		"invalid escape is a 400 (BASE)":   {norm: base, in: "/a/%00", status: 400},
		"semicolon is an ordinary byte":    {norm: decode, in: "/static/..;/jupyter/", want: "/static/..;/jupyter/"},
		"unreserved escape decoded (BASE)": {norm: base, in: "/%64ex/", want: "/dex/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, redirected, rep := tc.norm.apply(tc.in)
			if tc.status != 0 {
				if rep == nil || rep.status != tc.status {
					t.Fatalf("apply(%q) = %q, %v; want a %d", tc.in, got, rep, tc.status)
				}
				return
			}
			if rep != nil || got != tc.want || redirected != tc.redirected {
				t.Fatalf("apply(%q) = %q, redirect %v, reply %v; want %q, redirect %v", tc.in, got, redirected, rep, tc.want, tc.redirected)
			}
		})
	}
}

// TestRawRequestTarget: the gateway reads the request-target as sent (Go's
// r.URL would turn "\" into "%5C") and forwards :path unchanged; an
// absolute-form target's host is the :authority, its path the :path.
func TestRawRequestTarget(t *testing.T) {
	type scenario struct {
		normalize  bool
		target     string
		host       string
		wantPath   string
		wantHost   string
		wantStatus int
	}
	tests := map[string]scenario{
		"backslash folded":              {normalize: true, target: `/static/..\jupyter/`, wantPath: "/jupyter/"},
		"backslash kept (NONE)":         {target: `/static/..\jupyter/`, wantPath: `/static/..\jupyter/`},
		"%2e decoded":                   {normalize: true, target: "/static/%2e%2e/jupyter/", wantPath: "/jupyter/"},
		"escaped slash kept":            {normalize: true, target: "/static/..%2Fjupyter/?a=%2F", wantPath: "/static/..%2Fjupyter/?a=%2F"},
		"fragment stripped":             {normalize: true, target: "/a#/b", wantPath: "/a"},
		"double slash forwarded":        {normalize: true, target: "//a/b", wantPath: "//a/b"},
		"absolute form":                 {normalize: true, target: "http://evil.example/x?y", host: "good.example", wantPath: "/x?y", wantHost: "evil.example"},
		"not implemented is a loud 400": {normalize: true, target: "/a\"b", wantStatus: 400},
	}
	up := echoServer(t)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			x := xdsWith(t, nil)
			m := &hcm.HttpConnectionManager{}
			x.Listeners[0].FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(m)
			m.NormalizePath = wrapperspb.Bool(tc.normalize)
			x.Listeners[0].FilterChains[0].Filters[0].ConfigType = &listener.Filter_TypedConfig{TypedConfig: mustAny(t, m)}
			gw := serveGateway(t, x, map[string]string{dashCluster: up})
			host := tc.host
			if host == "" {
				host = "gw.example"
			}
			status, body := rawGET(t, strings.TrimPrefix(gw, "http://"), tc.target, host)
			if tc.wantStatus != 0 {
				if status != tc.wantStatus {
					t.Fatalf("GET %s = %d, want %d", tc.target, status, tc.wantStatus)
				}
				return
			}
			var s seen
			if status != 200 || json.Unmarshal([]byte(body), &s) != nil {
				t.Fatalf("GET %s = %d %s", tc.target, status, body)
			}
			if s.Path != tc.wantPath {
				t.Errorf("GET %s: the upstream got %q, want %q", tc.target, s.Path, tc.wantPath)
			}
			if tc.wantHost != "" && s.Host != tc.wantHost {
				t.Errorf("GET %s: the upstream got Host %q, want %q", tc.target, s.Host, tc.wantHost)
			}
		})
	}
}

// rawGET sends a request line as written, bypassing Go's URL handling.
func rawGET(t testing.TB, addr, target, host string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := rawhttp.Do(ctx, addr, "GET", target, http.Header{"Host": {host}})
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return r.Status, r.Body
}
