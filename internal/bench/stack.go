package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/process"
	"meshauth.dev/meshauth/generators"
)

// The stack is the real programs on loopback, configured by what
// authconfig-fn emits for a loopback AuthConfig (the e2e recipe, docs/e2e.md):
// Dex with the merged config.yaml (storage in memory, listen address on
// loopback), oauth2-proxy with the emitted oauth2_proxy.cfg byte for byte
// (listen addresses and logging by flag), and check-server with the config
// generators.CheckServerConfig derives (listen addresses, oauth2-proxy URL,
// TokenReview off, and a cache-off twin for the uncached rows).

// Test credentials (the same as e2e's): the user's password and a bcrypt
// hash of it, and the Secrets the AuthConfig references.
const (
	benchPassword     = "e2e-password-1234"
	benchPasswordHash = "$2a$10$ULcT81XU0CWAV5f/GC9D2e7A8WHsJaCZ2U/oYwNBKuIi7Cthm2Fau"
	benchClientSecret = "bench-client-secret-0123456789"
	benchCookieSecret = "0123456789abcdef0123456789abcdef"
)

type stack struct {
	dir            string
	dexAddr        string
	o2pAddr        string
	nullAddr       string
	cs, csNoCache  checkServer
	cookie         string // Cookie header of a logged-in session
	idToken        string // a Dex-issued RS256 ID token (password grant)
	userEmail      string
	httpPathPrefix string
	o2p            *proc
	null           *proc
}

type checkServer struct {
	http, grpc, ops string
	proc            *proc
}

func loopbackAuthConfig(o2pAddr, dexAddr string) map[string]any {
	return map[string]any{
		"apiVersion": "meshauth.dev/v1alpha1",
		"kind":       "AuthConfig",
		"metadata": map[string]any{"name": "bench", "annotations": map[string]any{
			process.OutputAnnotation: string(process.Resources)}},
		"spec": map[string]any{
			"publicURL": "http://" + o2pAddr,
			"dex": map[string]any{
				"issuerURL":         "http://" + dexAddr + "/dex",
				"passwordConnector": "local",
			},
			"oauth2Proxy": map[string]any{"cookie": map[string]any{"secure": false}},
			"authorizer":  "check-server",
		},
	}
}

// startStack renders the loopback AuthConfig and boots Dex, oauth2-proxy,
// two check-servers and the null server; then logs in once. It stays long:
// one start-up sequence whose steps each need the processes started before.
func (r *Runner) startStack(ctx context.Context) (*stack, error) {
	dir, err := os.MkdirTemp("", "meshauth-bench-stack-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir}
	addrs := make([]string, 9)
	for i := range addrs {
		if addrs[i], err = freeAddr(); err != nil {
			return nil, err
		}
	}
	s.dexAddr, s.o2pAddr, s.nullAddr = addrs[0], addrs[1], addrs[2]
	o2pMetrics := addrs[3]
	s.cs = checkServer{http: addrs[4], grpc: addrs[5], ops: addrs[6]}
	s.csNoCache = checkServer{http: addrs[7], grpc: "", ops: addrs[8]}
	if s.csNoCache.grpc, err = freeAddr(); err != nil {
		return nil, err
	}

	acMap := loopbackAuthConfig(s.o2pAddr, s.dexAddr)
	acYAML, err := sigsyaml.Marshal(acMap)
	if err != nil {
		return nil, err
	}
	dexCM, o2pCfg, err := r.render(acYAML)
	if err != nil {
		return nil, err
	}

	// Dex.
	var dexCfg map[string]any
	if err := sigsyaml.Unmarshal([]byte(dexCM), &dexCfg); err != nil {
		return nil, fmt.Errorf("emitted Dex config: %w", err)
	}
	dexCfg["web"] = map[string]any{"http": s.dexAddr}
	dexCfg["storage"] = map[string]any{"type": "memory"}
	dexCfg["logger"] = map[string]any{"level": "info", "format": "text"}
	var dexEnv []string
	if users, _ := dexCfg["staticPasswords"].([]any); len(users) > 0 {
		u, _ := users[0].(map[string]any)
		s.userEmail, _ = u["email"].(string)
		for _, u := range users {
			if v, _ := u.(map[string]any)["hashFromEnv"].(string); v != "" {
				dexEnv = append(dexEnv, v+"="+benchPasswordHash)
			}
		}
	}
	if s.userEmail == "" {
		return nil, fmt.Errorf("the emitted Dex config has no static user to log in with")
	}
	clients, _ := dexCfg["staticClients"].([]any)
	for _, c := range clients {
		cm, _ := c.(map[string]any)
		for _, k := range []string{"idEnv", "secretEnv"} {
			if v, _ := cm[k].(string); v != "" {
				val := "stand-in-" + strings.ToLower(v)
				if v == "OAUTH2_PROXY_CLIENT_SECRET" {
					val = benchClientSecret
				}
				dexEnv = append(dexEnv, v+"="+val)
			}
		}
	}
	dexYAML, err := sigsyaml.Marshal(dexCfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "dex.yaml"), dexYAML, 0o600); err != nil {
		return nil, err
	}
	dex, err := r.startProc("dex", dir, r.bin("dex"), []string{"serve", filepath.Join(dir, "dex.yaml")}, dexEnv)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, dex, "http://"+s.dexAddr+"/dex/.well-known/openid-configuration", 200); err != nil {
		return nil, err
	}

	// oauth2-proxy, access and auth logs off. The emitted config has no
	// skip_jwt_bearer_tokens (under the CUSTOM policy a bearer never reaches
	// oauth2-proxy); the bench turns it on for the "oauth2-proxy verifies the
	// bearer" row, what a user would otherwise run for machine clients.
	o2pPath := filepath.Join(dir, "oauth2_proxy.cfg")
	if err := os.WriteFile(o2pPath, []byte(o2pCfg), 0o600); err != nil {
		return nil, err
	}
	s.o2p, err = r.startProc("oauth2-proxy", dir, r.bin("oauth2-proxy"), []string{
		"--config=" + o2pPath, "--http-address=" + s.o2pAddr, "--metrics-address=" + o2pMetrics,
		"--request-logging=false", "--auth-logging=false", "--skip-jwt-bearer-tokens=true",
	}, []string{"OAUTH2_PROXY_CLIENT_SECRET=" + benchClientSecret, "OAUTH2_PROXY_COOKIE_SECRET=" + benchCookieSecret})
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, s.o2p, "http://"+s.o2pAddr+"/ping", 200); err != nil {
		return nil, err
	}

	// check-server: the derived config, twice (cache on, cache off).
	ac, errs := api.Decode(acYAML)
	if len(errs) > 0 {
		return nil, fmt.Errorf("the loopback AuthConfig: %v", errs)
	}
	ac = api.Defaulted(ac)
	for i, cs := range []*checkServer{&s.cs, &s.csNoCache} {
		cfg := generators.CheckServerConfig(ac.Spec)
		cfg.Listen.HTTP, cfg.Listen.GRPC, cfg.Listen.Ops = cs.http, cs.grpc, cs.ops
		cfg.OAuth2Proxy.URL = "http://" + s.o2pAddr
		cfg.Kubernetes.TokenReview.Enabled = false
		name := "check-server"
		if i == 1 {
			cfg.Cache.Size = 0
			cfg.OAuth2Proxy.SessionCache.Size = 0
			name = "check-server (cache off)"
		}
		s.httpPathPrefix = cfg.HTTPPathPrefix
		b, err := sigsyaml.Marshal(cfg)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fmt.Sprintf("check-server-%d.yaml", i))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
		// warn: denials are logged at info, and oauth2-proxy runs with its
		// request log off; both sides log nothing per request.
		cs.proc, err = r.startProc(name, dir, r.bin("check-server"), []string{"--config=" + path, "--log-level=warn"}, nil)
		if err != nil {
			return nil, err
		}
		if err := waitHTTP(ctx, cs.proc, "http://"+cs.ops+"/readyz", 200); err != nil {
			return nil, err
		}
	}

	// The floor.
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	s.null, err = r.startProc("null", dir, self, []string{"-null-server", s.nullAddr}, nil)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, s.null, "http://"+s.nullAddr+"/", 200); err != nil {
		return nil, err
	}

	if s.cookie, err = s.login(ctx); err != nil {
		return nil, fmt.Errorf("logging in through oauth2-proxy and Dex: %w", err)
	}
	if s.idToken, err = s.passwordGrant(ctx); err != nil {
		return nil, fmt.Errorf("Dex password grant: %w", err)
	}
	r.logf("stack: Dex %s, oauth2-proxy %s, check-server %s (gRPC %s), cache-off %s (gRPC %s), null %s; logged in",
		s.dexAddr, s.o2pAddr, s.cs.http, s.cs.grpc, s.csNoCache.http, s.csNoCache.grpc, s.nullAddr)
	return s, nil
}

// render runs the processor in resources mode over Kubeflow's Dex ConfigMap
// (from the corpus) and returns the merged Dex config and oauth2_proxy.cfg.
func (r *Runner) render(acYAML []byte) (dexConfig, o2pConfig string, err error) {
	cfgObj, err := fn.ParseKubeObject(acYAML)
	if err != nil {
		return "", "", err
	}
	// The whole Kubeflow package: resources mode refuses a stream without the objects it
	// patches (the mesh ConfigMap, istiod, Dex, the dashboard VirtualService).
	corpus, err := os.ReadFile(r.cfg.Corpus)
	if err != nil {
		return "", "", err
	}
	items, err := fn.ParseKubeObjects(corpus)
	if err != nil {
		return "", "", err
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: cfgObj}
	ok, err := process.Processor{}.Process(rl)
	if err != nil || !ok {
		return "", "", fmt.Errorf("authconfig-fn refused the loopback AuthConfig: %v %v", err, rl.Results)
	}
	for _, o := range rl.Items {
		if o.GetKind() != "ConfigMap" {
			continue
		}
		switch o.GetNamespace() + "/" + o.GetName() {
		case "auth/dex":
			dexConfig, _, _ = o.NestedString("data", "config.yaml")
		case "oauth2-proxy/oauth2-proxy":
			o2pConfig, _, _ = o.NestedString("data", "oauth2_proxy.cfg")
		}
	}
	if dexConfig == "" || o2pConfig == "" {
		return "", "", fmt.Errorf("authconfig-fn emitted no Dex config or oauth2_proxy.cfg")
	}
	return dexConfig, o2pConfig, nil
}

var formRE = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)

// login walks oauth2-proxy's start → Dex's local login → callback and
// returns the session as a Cookie header.
func (s *stack) login(ctx context.Context) (string, error) {
	jar, _ := cookiejar.New(nil)
	// The gateway's routing: /dex/ on the public URL goes to Dex.
	gw := gatewayTransport{public: s.o2pAddr, dex: s.dexAddr, rt: &http.Transport{Proxy: nil}}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: gw}
	base := "http://" + s.o2pAddr
	get := func(u string) (*http.Response, string, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := c.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, string(b), nil
	}
	resp, body, err := get(base + "/oauth2/start?rd=%2F")
	if err != nil {
		return "", err
	}
	m := formRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `name="password"`) {
		return "", fmt.Errorf("no login form at %s (%d): %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	action, _ := url.Parse(html.UnescapeString(m[1]))
	postURL := resp.Request.URL.ResolveReference(action)
	req, _ := http.NewRequestWithContext(ctx, "POST", postURL.String(),
		strings.NewReader(url.Values{"login": {s.userEmail}, "password": {benchPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, "oauth2_proxy") || strings.Contains(ck.Name, "session") {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("no session cookie after the login (landed on %s, %d)", resp.Request.URL, resp.StatusCode)
	}
	cookie := strings.Join(parts, "; ")
	// The cookie must be a session oauth2-proxy accepts.
	req, _ = http.NewRequestWithContext(ctx, "GET", base+"/oauth2/auth", nil)
	req.Header.Set("Cookie", cookie)
	resp, err = (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("oauth2-proxy /oauth2/auth answers %d to the session cookie", resp.StatusCode)
	}
	return cookie, nil
}

// gatewayTransport routes /dex/ on the public URL to Dex, as the Istio
// gateway does with Dex's VirtualService.
type gatewayTransport struct {
	public, dex string
	rt          http.RoundTripper
}

func (g gatewayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == g.public && strings.HasPrefix(req.URL.Path, "/dex/") {
		req = req.Clone(req.Context())
		req.URL.Host = g.dex
		req.Host = g.dex
	}
	return g.rt.RoundTrip(req)
}

// passwordGrant gets an ID token for the static user from Dex: the bearer JWT
// both oauth2-proxy (skip_jwt_bearer_tokens) and check-server verify.
func (s *stack) passwordGrant(ctx context.Context) (string, error) {
	form := url.Values{
		"grant_type": {"password"}, "username": {s.userEmail}, "password": {benchPassword},
		"scope": {"openid email groups profile"}, "client_id": {"oauth2-proxy"}, "client_secret": {benchClientSecret},
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+s.dexAddr+"/dex/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
		Desc    string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		return "", err
	}
	if tok.IDToken == "" {
		return "", fmt.Errorf("%d %s: %s", resp.StatusCode, tok.Error, tok.Desc)
	}
	return tok.IDToken, nil
}
