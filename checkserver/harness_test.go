package checkserver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	authv1 "k8s.io/api/authentication/v1"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/checkserver/internal/testapiserver"
	"meshauth.dev/meshauth/internal/testissuer"
)

const (
	audience   = "kubeflow"
	saIssuer   = "kubernetes/serviceaccount" // legacy SA token issuer: goes to TokenReview
	goodCookie = "_oauth2_proxy=good"
	// refreshCookie is a session oauth2-proxy accepts and refreshes.
	refreshCookie = "_oauth2_proxy=refresh-me"
)

// harness runs a Checker behind both real front ends on 127.0.0.1 with a
// local OIDC issuer, a TokenReview stand-in and a fake oauth2-proxy.
type harness struct {
	is      *testissuer.Issuer
	api     *testapiserver.APIServer
	checker *Checker
	httpURL string
	grpc    authv3.AuthorizationClient
	saToken string
	// proxyCalls counts the fake oauth2-proxy's /oauth2/auth answers.
	proxyCalls atomic.Int64
	// idSessions are the Cookie headers the fake oauth2-proxy answers with
	// an ID token (idSession), set by h.idSession.
	idSessions sync.Map
}

// idSession is how the fake oauth2-proxy answers for a session with an
// ID token: as set_authorization_header does, and with the token's groups
// comma-joined in X-Auth-Request-Groups, as oauth2-proxy writes them.
type idSession struct {
	token  string
	groups []string
}

// idSession makes the fake oauth2-proxy accept the Cookie header cookie
// and answer with ID token tok ("" for none) holding groups.
func (h *harness) idSession(cookie, tok string, groups ...string) {
	h.idSessions.Store(cookie, idSession{tok, groups})
}

func newHarness(t *testing.T, mutate func(c *config.Config)) *harness {
	t.Helper()
	h := &harness{is: testissuer.New(t, testissuer.Options{TLS: true}), api: testapiserver.Start(t)}
	h.is.Publish(h.is.Signer, testissuer.NewKey(t, "ec1", jose.ES256))

	// The fake oauth2-proxy follows /oauth2/auth: 202 + X-Auth-Request-* for
	// the good session cookie, 401 otherwise.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.proxyCalls.Add(1)
		if v, ok := h.idSessions.Load(r.Header.Get("Cookie")); ok && r.URL.Path == "/oauth2/auth" {
			s := v.(idSession)
			w.Header().Set("X-Auth-Request-Email", "carol@example.com")
			w.Header().Set("X-Auth-Request-Groups", strings.Join(s.groups, ","))
			if s.token != "" {
				w.Header().Set("Authorization", "Bearer "+s.token)
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if r.URL.Path == "/oauth2/auth" && strings.Contains(r.Header.Get("Cookie"), refreshCookie) {
			w.Header().Set("X-Auth-Request-Email", "carol@example.com")
			w.Header().Set("Set-Cookie", goodCookie+"; Path=/")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if r.URL.Path == "/oauth2/auth" && strings.Contains(r.Header.Get("Cookie"), goodCookie) {
			w.Header().Set("X-Auth-Request-Email", "carol@example.com")
			w.Header().Set("X-Auth-Request-Groups", "dev,viewers")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(proxy.Close)

	// A service-account token from an issuer that is not configured for
	// local verification, so it is judged by TokenReview.
	sa := h.is.Claims("https://kubernetes.default.svc")
	sa["iss"] = saIssuer
	h.saToken = testissuer.Sign(t, testissuer.NewKey(t, "sa", jose.RS256), sa, nil)
	h.api.Allow(h.saToken, authv1.UserInfo{Username: "system:serviceaccount:kubeflow:runner", Groups: []string{"system:serviceaccounts"}})

	cfg := config.Default()
	cfg.Issuers = []config.Issuer{{
		Issuer: h.is.URL, JWKSURI: h.is.JWKSURI, CAFile: h.is.CAFile, Audiences: []string{audience},
		Algorithms: []string{"RS256", "ES256"}, UserClaim: "email", Required: true,
	}}
	cfg.Kubernetes.TokenReview = h.api.Config
	cfg.OAuth2Proxy.URL = proxy.URL
	cfg.APIRoutes = []string{"^/api/"}
	cfg.SkipAuthPaths = []string{"/dex", "/static/public/"}
	cfg.MaxTokenBytes = 8192
	cfg.JWKS.MinRefetchInterval = config.D(0)
	if mutate != nil {
		mutate(&cfg)
	}
	var err error
	if h.checker, err = NewChecker(cfg, nil, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h.checker.Run(ctx)
	waitReady(t, h.checker.Ready)

	hs := httptest.NewServer(&HTTPHandler{Checker: h.checker, PathPrefix: cfg.HTTPPathPrefix})
	t.Cleanup(hs.Close)
	h.httpURL = hs.URL + cfg.HTTPPathPrefix

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	authv3.RegisterAuthorizationServer(gs, &GRPCServer{Checker: h.checker})
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	h.grpc = authv3.NewAuthorizationClient(conn)
	return h
}

// waitReady polls with a deadline; no sleep stands in for synchronisation.
func waitReady(t *testing.T, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatal("not ready within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// token returns a valid RS256 token for the harness issuer with claims
// changed by mutate (a nil value deletes the claim).
func (h *harness) token(t *testing.T, mutate map[string]any) string {
	c := h.is.Claims(audience)
	for k, v := range mutate {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return h.is.Token(t, c)
}

// req is an original request as a client sent it to the gateway.
type req struct {
	method string
	host   string // the :authority, gw.example when empty
	path   string
	header [][2]string // in order, repeats allowed
}

func bearer(tok string) [][2]string { return [][2]string{{"Authorization", "Bearer " + tok}} }

// outcome is what Envoy would do, read back from either protocol.
type outcome struct {
	Allow      bool
	Status     int
	Upstream   map[string]string // lower-case name -> value
	Remove     []string          // sorted
	Downstream map[string]string // lower-case name -> value (joined)
}

func (r req) withDefaults() req {
	if r.method == "" {
		r.method = http.MethodGet
	}
	if r.path == "" {
		r.path = "/"
	}
	if r.host == "" {
		r.host = "gw.example"
	}
	return r
}

// viaHTTP sends the check as Envoy's HTTP ext_authz client would: original
// method, prefix+path, the headers, no body; it reads allow only from 200.
func (h *harness) viaHTTP(t *testing.T, r req) outcome {
	t.Helper()
	resp := h.sendHTTP(t, r)
	defer resp.Body.Close()
	o := outcome{Status: resp.StatusCode, Allow: resp.StatusCode == http.StatusOK, Upstream: map[string]string{}, Downstream: map[string]string{}}
	for k, v := range resp.Header {
		lk := strings.ToLower(k)
		switch {
		case lk == "x-envoy-auth-headers-to-remove":
			for _, n := range strings.Split(strings.Join(v, ","), ",") {
				o.Remove = append(o.Remove, strings.TrimSpace(n))
			}
		case lk == "location" || lk == "www-authenticate" || lk == "set-cookie":
			o.Downstream[lk] = strings.Join(v, "\n")
		case strings.HasPrefix(lk, "kubeflow"):
			o.Upstream[lk] = strings.Join(v, ",")
		}
	}
	sort.Strings(o.Remove)
	return o
}

// sendHTTP sends r's check to the HTTP front as Envoy would, the original
// :authority in Host.
func (h *harness) sendHTTP(t *testing.T, r req) *http.Response {
	t.Helper()
	r = r.withDefaults()
	hr, err := http.NewRequest(r.method, h.httpURL+r.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Host = r.host
	for _, kv := range r.header {
		hr.Header.Add(kv[0], kv[1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// viaGRPC sends the check as Envoy's gRPC client would.
func (h *harness) viaGRPC(t *testing.T, r req) outcome {
	t.Helper()
	return h.checkGRPC(t, grpcCheck(r))
}

// grpcCheck is r's check as Envoy's gRPC client builds it: lower-cased
// headers in a map with repeats joined by ",", pseudo-headers included.
func grpcCheck(r req) *authv3.CheckRequest {
	r = r.withDefaults()
	headers := map[string]string{":method": r.method, ":path": r.path, ":authority": r.host}
	for _, kv := range r.header {
		k := strings.ToLower(kv[0])
		if prev, ok := headers[k]; ok {
			headers[k] = prev + "," + kv[1]
		} else {
			headers[k] = kv[1]
		}
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: r.method, Path: r.path, Host: r.host, Scheme: "https", Headers: headers},
	}}}
}

func (h *harness) checkGRPC(t *testing.T, cr *authv3.CheckRequest) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.grpc.Check(ctx, cr)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	o := outcome{Upstream: map[string]string{}, Downstream: map[string]string{}}
	if codes.Code(resp.GetStatus().GetCode()) == codes.OK {
		ok := resp.GetOkResponse()
		o.Allow, o.Status = true, http.StatusOK
		for _, hv := range ok.GetHeaders() {
			o.Upstream[hv.GetHeader().GetKey()] = hv.GetHeader().GetValue()
		}
		o.Remove = append([]string(nil), ok.GetHeadersToRemove()...)
		for _, hv := range ok.GetResponseHeadersToAdd() {
			o.Downstream[hv.GetHeader().GetKey()] = hv.GetHeader().GetValue()
		}
	} else {
		d := resp.GetDeniedResponse()
		o.Status = int(d.GetStatus().GetCode())
		for _, hv := range d.GetHeaders() {
			if k := hv.GetHeader().GetKey(); k == "location" || k == "www-authenticate" {
				o.Downstream[k] = hv.GetHeader().GetValue()
			}
		}
	}
	sort.Strings(o.Remove)
	return o
}

// both runs r through both front ends and fails unless they agree.
func (h *harness) both(t *testing.T, r req) outcome {
	t.Helper()
	a, b := h.viaHTTP(t, r), h.viaGRPC(t, r)
	// The HTTP front cannot see most request headers, so it names every
	// spelling to remove; the gRPC front sees them all and names only those
	// present. What Envoy ends up removing must be the same.
	if a.Allow != b.Allow || a.Status != b.Status || strings.Join(presentOnly(a.Remove, r), ",") != strings.Join(b.Remove, ",") ||
		len(a.Upstream) != len(b.Upstream) || a.Upstream["kubeflow-userid"] != b.Upstream["kubeflow-userid"] ||
		a.Upstream["kubeflow-groups"] != b.Upstream["kubeflow-groups"] || a.Downstream["location"] != b.Downstream["location"] {
		t.Fatalf("HTTP and gRPC disagree:\nhttp %+v\ngrpc %+v", a, b)
	}
	return a
}

// presentOnly is the part of remove that the request carries.
func presentOnly(remove []string, r req) []string {
	var out []string
	for _, n := range remove {
		for _, kv := range r.header {
			if strings.EqualFold(kv[0], n) {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// signWith signs claims with the harness's published key of that kid.
func signWith(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	alg := jose.RS256
	if strings.HasPrefix(kid, "ec") {
		alg = jose.ES256
	}
	return testissuer.Sign(t, testissuer.NewKey(t, kid, alg), claims, nil)
}
