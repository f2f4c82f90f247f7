package gateway

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	listenerpb "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	jwtauthnpb "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcmpb "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// Tests on real istiod output: testdata/istiod/*.xds.json is what
// bin/istiod-xds generated for the e2e environments (refresh with
// E2E_XDS_SAVE=$PWD/internal/gateway/testdata/istiod go test ./e2e/; the
// .input.yaml beside each is what istiod read).

func loadIstiod(t *testing.T, name string) *XDS {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "istiod", name+".xds.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseXDS(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x
}

func TestIstiodOutputImplemented(t *testing.T) {
	for _, name := range []string{"TestOAuth2ProxyAuthorizer", "TestCheckServerAuthorizer", "TestCheckServerGRPC"} {
		t.Run(name, func(t *testing.T) {
			x := loadIstiod(t, name)
			if _, err := New(x, Options{}); err != nil {
				t.Errorf("New on istiod's output: %v", err)
			}
		})
	}
}

// withKeys replaces the JWKS istiod inlined (the e2e Dex's and issuer's
// keys of that run) by s's, and returns the providers' issuers.
func withKeys(t *testing.T, x *XDS, s *signer) []string {
	t.Helper()
	var issuers []string
	for _, l := range x.Listeners {
		m := &hcmpb.HttpConnectionManager{}
		a := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig()
		if err := a.UnmarshalTo(m); err != nil {
			t.Fatal(err)
		}
		for _, f := range m.GetHttpFilters() {
			if f.GetTypedConfig().GetTypeUrl() != typeJWT {
				continue
			}
			j := &jwtauthnpb.JwtAuthentication{}
			if err := f.GetTypedConfig().UnmarshalTo(j); err != nil {
				t.Fatal(err)
			}
			for _, p := range j.GetProviders() {
				p.JwksSourceSpecifier = &jwtauthnpb.JwtProvider_LocalJwks{LocalJwks: inline(s.jwks)}
				issuers = append(issuers, p.GetIssuer())
			}
			f.ConfigType = &hcmpb.HttpFilter_TypedConfig{TypedConfig: mustAny(t, j)}
		}
		l.GetFilterChains()[0].GetFilters()[0].ConfigType = &listenerpb.Filter_TypedConfig{TypedConfig: mustAny(t, m)}
	}
	sort.Strings(issuers)
	return issuers
}

// The oauth2-proxy environment's xDS, served with stubs behind its clusters.
func TestIstiodOAuth2ProxyBehaviour(t *testing.T) {
	x := loadIstiod(t, "TestOAuth2ProxyAuthorizer")
	s := newSigner(t, "k")
	issuers := withKeys(t, x, s)
	var dexIss string
	for _, i := range issuers {
		if strings.HasSuffix(i, "/dex") {
			dexIss = i
		}
	}
	var checks []string
	o2p := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		checks = append(checks, r.URL.RequestURI())
		switch {
		case strings.HasPrefix(r.URL.Path, "/oauth2/"):
			w.Write([]byte("oauth2-proxy page"))
		case strings.Contains(r.Header.Get("Cookie"), "s=ok"):
			w.Header().Set("Authorization", "Bearer "+s.token(t, map[string]any{"iss": dexIss, "sub": "u", "email": "alice@example.com", "groups": []string{"g"}}))
			w.Header().Set("X-Auth-Request-Email", "alice@example.com")
		default:
			w.Header().Set("Location", "/oauth2/start?rd="+r.URL.Path)
			w.WriteHeader(302)
		}
	})
	dex := handlerServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("dex " + r.URL.Path)) })
	gw := serveGateway(t, x, map[string]string{
		"outbound|80||oauth2-proxy.oauth2-proxy.svc.cluster.local": o2p,
		"outbound|80||centraldashboard.kubeflow.svc.cluster.local": echoServer(t),
		"outbound|5556||dex.auth.svc.cluster.local":                dex,
	})
	if r := do(t, "GET", gw+"/", nil); r.status != 302 || r.header.Get("Location") != "/oauth2/start?rd=/" {
		t.Errorf("anonymous = %d %q", r.status, r.header.Get("Location"))
	}
	r := do(t, "GET", gw+"/pipelines/", map[string]string{"Cookie": "s=ok", "X-Auth-Request-Email": "evil", "Kubeflow-Userid": "evil", "Gap-Auth": "evil"})
	if r.status != 200 || r.seen.Header.Get("Kubeflow-Userid") != "alice@example.com" || r.seen.Header.Get("X-Auth-Request-Email") != "" || r.seen.Header.Get("Gap-Auth") != "" {
		t.Errorf("session = %d %+v", r.status, r.seen)
	}
	n := len(checks)
	if r := do(t, "GET", gw+"/oauth2/start?rd=/", nil); r.status != 200 || r.body != "oauth2-proxy page" || len(checks) != n+1 {
		t.Errorf("/oauth2/start = %d %q (%d calls), want oauth2-proxy's own route without a check", r.status, r.body, len(checks)-n)
	}
	// The logout redirect is a route: the filters run first, so a session
	// is needed to reach it (an anonymous /logout is sent to sign in).
	if r := do(t, "GET", gw+"/logout", map[string]string{"Cookie": "s=ok"}); r.status != 302 || !strings.Contains(r.header.Get("Location"), "/oauth2/sign_out?rd=") {
		t.Errorf("logout = %d %q", r.status, r.header.Get("Location"))
	}
	if r := do(t, "GET", gw+"/dex/keys", nil); r.status != 200 || r.body != "dex /dex/keys" {
		t.Errorf("/dex/keys = %d %q", r.status, r.body)
	}
	tok := s.token(t, map[string]any{"iss": dexIss, "sub": "u", "email": "bob@example.com"})
	if r := do(t, "GET", gw+"/api", map[string]string{"Authorization": "Bearer " + tok, "X-Forwarded-Email": "evil"}); r.status != 200 ||
		r.seen.Header.Get("Kubeflow-Userid") != "bob@example.com" || r.seen.Header.Get("X-Forwarded-Email") != "" {
		t.Errorf("bearer = %d %+v", r.status, r.seen)
	}
	if r := do(t, "GET", gw+"/api", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}); r.status != 403 {
		t.Errorf("a non-bearer Authorization skips ext_authz and must meet the DENY: %d", r.status)
	}
}
