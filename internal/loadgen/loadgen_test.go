package loadgen

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

type authz struct {
	authv3.UnimplementedAuthorizationServer
}

// Check allows when the authorization header is "ok", else denies 401.
func (authz) Check(_ context.Context, r *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	if r.GetAttributes().GetRequest().GetHttp().GetHeaders()["authorization"] == "ok" {
		return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: int32(codes.OK)}}, nil
	}
	return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: int32(codes.Unauthenticated)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{Status: &typev3.HttpStatus{Code: 401}}}}, nil
}

func TestRun(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "ok" {
			w.WriteHeader(401)
		}
	}))
	defer hs.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	authv3.RegisterAuthorizationServer(gs, authz{})
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()

	type scenario struct {
		opts       Options
		wantStatus string
		wantErrors bool
		wantErr    bool
	}
	ok := [][2]string{{"Authorization", "ok"}}
	tests := map[string]scenario{
		"http allow":                         {opts: Options{URL: hs.URL, Headers: ok, Expect: 200}, wantStatus: "200"},
		"http deny is an error under expect": {opts: Options{URL: hs.URL, Expect: 200}, wantStatus: "401", wantErrors: true},
		"grpc allow":                         {opts: Options{GRPCAddr: lis.Addr().String(), Headers: ok, Expect: 200}, wantStatus: "200"},
		"grpc deny":                          {opts: Options{GRPCAddr: lis.Addr().String()}, wantStatus: "401"},
		"no target":                          {opts: Options{}, wantErr: true},
		"unreachable counts errors":          {opts: Options{URL: "http://127.0.0.1:1/"}, wantErrors: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.opts.Connections, tc.opts.Duration = 2, 100*time.Millisecond
			start := time.Now()
			res, err := Run(context.Background(), tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if time.Since(start) > 6*time.Second {
				t.Fatal("run not bounded in time")
			}
			if res.Requests == 0 || (res.Errors > 0) != tc.wantErrors || (tc.wantStatus != "" && res.Status[tc.wantStatus] == 0) {
				t.Fatalf("result %+v", res)
			}
			if res.Errors == 0 && (res.P50ms <= 0 || res.P99ms < res.P50ms) {
				t.Fatalf("percentiles %+v", res)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	if kv, err := ParseHeader("Authorization: Bearer a:b"); err != nil || kv != [2]string{"Authorization", "Bearer a:b"} {
		t.Fatalf("%v %v", kv, err)
	}
	if _, err := ParseHeader("nocolon"); err == nil {
		t.Fatal("accepted a header without colon")
	}
}

// TestBenchIssuer: what loadgen -serve-issuer prints is a plain-HTTP JWKS
// and a token for the audience that verifies against it.
func TestBenchIssuer(t *testing.T) {
	is, tok, err := StartBenchIssuer("127.0.0.1:0", "a")
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	if !strings.HasPrefix(is.JWKSURI, "http://127.0.0.1:") {
		t.Fatalf("JWKS URI %s, want plain HTTP on the given address", is.JWKSURI)
	}
	resp, err := http.Get(is.JWKSURI)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("JWKS: %v %v", resp, err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	var c jwt.Claims
	if err := parsed.Claims(set, &c); err != nil {
		t.Fatalf("the token does not verify against the JWKS served: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: is.URL, AnyAudience: jwt.Audience{"a"}, Subject: benchUser}, 0); err != nil {
		t.Fatalf("claims %+v: %v", c, err)
	}
}
