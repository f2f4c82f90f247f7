package checkserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

// blockingProxy is an oauth2-proxy whose answers wait for release, so a
// check can be held in flight across a shutdown.
type blockingProxy struct {
	entered chan struct{}
	release chan struct{}
}

func newBlockingProxy(t *testing.T) (*blockingProxy, string) {
	p := &blockingProxy{entered: make(chan struct{}, 8), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.entered <- struct{}{}
		<-p.release
		w.Header().Set("X-Auth-Request-Email", "dora@example.com")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-p.release:
		default:
			close(p.release)
		}
	})
	return p, srv.URL
}

func startServer(t *testing.T, mutate func(c *config.Config)) (*Server, context.CancelFunc, chan error) {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = config.Listen{HTTP: "127.0.0.1:0", GRPC: "127.0.0.1:0", Ops: "127.0.0.1:0"}
	cfg.ShutdownTimeout = config.D(10 * time.Second)
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := NewServer(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s, cancel, done
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpsEndpointsAndOutageAtStart(t *testing.T) {
	is := testissuer.New(t, testissuer.Options{TLS: true})
	is.SetDown(true)
	s, _, _ := startServer(t, func(c *config.Config) {
		c.Issuers = []config.Issuer{{Issuer: is.URL, Discovery: true, CAFile: is.CAFile, Audiences: []string{audience}, Required: true}}
	})
	ops := "http://" + s.OpsAddr.String()
	// Let at least one fetch fail against the outage before anything else.
	waitReady(t, func() bool { return is.DiscoveryHits() > 0 })
	if code, _ := get(t, ops+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, _ := get(t, ops+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d while the required issuer is down", code)
	}
	// While keys are missing a token from that issuer is an outage (503), not a 401.
	tok := is.Token(t, is.Claims(audience))
	r, _ := http.NewRequest("GET", "http://"+s.HTTPAddr.String()+"/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("check before keys: %v %v", resp, err)
	}
	is.SetDown(false)
	back := time.Now()
	waitReady(t, func() bool { code, _ := get(t, ops+"/readyz"); return code == 200 })
	t.Logf("ready %v after the issuer came back", time.Since(back))
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("check after keys: %v %v", resp, err)
	}
	_, metrics := get(t, ops+"/metrics")
	for _, want := range []string{
		`checkserver_decisions_total{method="bearer",protocol="http",result="unavailable"} 1`,
		`checkserver_decisions_total{method="jwt",protocol="http",result="allow"} 1`,
		`checkserver_jwks_refresh_failures_total{issuer="` + is.URL + `"}`,
		`checkserver_jwks_refreshes_total{issuer="` + is.URL + `"}`,
		`checkserver_token_cache_misses_total 2`,
		`checkserver_check_duration_seconds_bucket{protocol="http",result="allow"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestGracefulShutdownFinishesInFlightChecks(t *testing.T) {
	type scenario struct {
		check func(t *testing.T, s *Server) int // returns the HTTP status Envoy would see
	}
	tests := map[string]scenario{
		"http": {check: func(t *testing.T, s *Server) int {
			r, _ := http.NewRequest("GET", "http://"+s.HTTPAddr.String()+"/x", nil)
			r.Header.Set("Cookie", "_oauth2_proxy=v")
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return 0
			}
			resp.Body.Close()
			return resp.StatusCode
		}},
		"grpc": {check: func(t *testing.T, s *Server) int {
			conn, err := grpc.NewClient(s.GRPCAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Error(err)
				return 0
			}
			defer conn.Close()
			resp, err := authv3.NewAuthorizationClient(conn).Check(context.Background(), &authv3.CheckRequest{
				Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
					Method: "GET", Path: "/x", Headers: map[string]string{"cookie": "_oauth2_proxy=v"}}}}})
			if err != nil {
				t.Error(err)
				return 0
			}
			if codes.Code(resp.GetStatus().GetCode()) == codes.OK {
				return 200
			}
			return int(resp.GetDeniedResponse().GetStatus().GetCode())
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			proxy, url := newBlockingProxy(t)
			s, cancel, done := startServer(t, func(c *config.Config) { c.OAuth2Proxy.URL = url })
			status := make(chan int, 1)
			go func() { status <- tc.check(t, s) }()
			<-proxy.entered // the check is now in flight
			cancel()
			waitReady(t, func() bool { return !s.Ready() }) // draining began
			close(proxy.release)
			if got := <-status; got != http.StatusOK {
				t.Fatalf("in-flight check finished with %d, want 200", got)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				done <- nil // for the cleanup
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after shutdown")
			}
		})
	}
}
