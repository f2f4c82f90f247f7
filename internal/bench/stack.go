package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/internal/loopback"
)

// The stack is the real programs on loopback, started by internal/loopback
// from what authconfig-fn emits (in process, resources mode, over the
// Kubeflow package) for a loopback AuthConfig, as e2e starts
// them (docs/e2e.md): Dex with the merged config.yaml and the env of its
// Deployment, oauth2-proxy with the emitted oauth2_proxy.cfg byte for byte
// and the args and env of its Deployment, and two check-servers with the
// emitted config.yaml and args (the second with its caches off for the
// uncached rows); each with loopback's overrides (listen addresses, Dex's
// storage, TokenReview off, cluster DNS) and nothing else.

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

	spec    api.Spec          // the loopback AuthConfig, defaulted
	objs    loopback.Emitted  // what authconfig-fn emitted for it
	secrets loopback.Secrets  // the Secrets it references, with test values
	reg     loopback.Registry // cluster DNS: oauth2-proxy's Service, for check-server
}

type checkServer struct {
	http, grpc, ops string
	proc            *proc
}

func loopbackAuthConfig(o2pAddr, dexAddr string) map[string]any {
	return map[string]any{
		"apiVersion": "meshauth.dev/v1alpha1",
		"kind":       "AuthConfig",
		"metadata":   map[string]any{"name": "bench"},
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

// startStack renders the loopback AuthConfig, boots Dex, oauth2-proxy, two
// check-servers and the null server, and logs in once. The stack comes back
// with an error too: its folder is the caller's to remove.
func (r *Runner) startStack(ctx context.Context) (*stack, error) {
	s, err := newStack()
	if err != nil {
		return s, err
	}
	for _, step := range []func(context.Context, *stack) error{
		r.renderStack, r.startDex, r.startOAuth2Proxy, r.startCheckServers, r.startNull, logIn,
	} {
		if err := step(ctx, s); err != nil {
			return s, err
		}
	}
	r.logf("stack: Dex %s, oauth2-proxy %s, check-server %s (gRPC %s), cache-off %s (gRPC %s), null %s; logged in",
		s.dexAddr, s.o2pAddr, s.cs.http, s.cs.grpc, s.csNoCache.http, s.csNoCache.grpc, s.nullAddr)
	return s, nil
}

// newStack makes the stack's folder and picks its listen addresses.
func newStack() (*stack, error) {
	dir, err := os.MkdirTemp("", "meshauth-bench-stack-")
	if err != nil {
		return nil, err
	}
	s := &stack{dir: dir, reg: loopback.Registry{}}
	for _, a := range []*string{&s.dexAddr, &s.o2pAddr, &s.nullAddr,
		&s.cs.http, &s.cs.grpc, &s.cs.ops, &s.csNoCache.http, &s.csNoCache.grpc, &s.csNoCache.ops} {
		if *a, err = loopback.FreeAddr(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// renderStack renders the loopback AuthConfig once; every program starts
// from that output.
func (r *Runner) renderStack(_ context.Context, s *stack) error {
	acYAML, err := sigsyaml.Marshal(loopbackAuthConfig(s.o2pAddr, s.dexAddr))
	if err != nil {
		return err
	}
	ac, errs := api.Load(acYAML)
	if len(errs) > 0 {
		return fmt.Errorf("the loopback AuthConfig: %v", errs)
	}
	if s.spec = ac.Spec; s.spec.Dex == nil {
		return fmt.Errorf("the loopback AuthConfig has no Dex")
	}
	s.secrets = secretsFor(s.spec)
	// The whole Kubeflow package: resources mode patches Dex, the mesh
	// config, istiod and the dashboard's routes in it.
	corpus, err := os.ReadFile(r.cfg.Corpus)
	if err != nil {
		return err
	}
	s.objs, err = loopback.Render(acYAML, corpus)
	return err
}

// secretsFor are the Secrets spec (with Dex) references, with the loopback
// test values: oauth2-proxy's client and cookie secret, and Dex's copy of
// the client secret.
func secretsFor(spec api.Spec) loopback.Secrets {
	s := loopback.Secrets{}
	o := spec.OAuth2Proxy
	s.Put(o.ClientSecretRef.Name, o.ClientSecretRef.Key, loopback.ClientSecret)
	s.Put(o.CookieSecretRef.Name, o.CookieSecretRef.Key, loopback.CookieSecret)
	s.Put(spec.Dex.ClientSecretRef.Name, spec.Dex.ClientSecretRef.Key, loopback.ClientSecret)
	return s
}

// startDex runs Dex with the merged config.yaml (loopback.DexConfig) and
// the env of its Deployment (loopback.DexEnv).
func (r *Runner) startDex(ctx context.Context, s *stack) error {
	d := s.spec.Dex
	emitted, w, err := s.objs.Program(loopback.Source{Namespace: d.Namespace, ConfigMap: d.ConfigMap, Key: "config.yaml", Deployment: d.Deployment, Container: d.Container})
	if err != nil {
		return err
	}
	cfg, err := loopback.DexConfig(emitted, s.dexAddr)
	if err != nil {
		return err
	}
	if s.userEmail, err = loopback.DexUser(cfg); err != nil {
		return err
	}
	env, err := w.Env(s.secrets)
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, "dex.yaml")
	if err := writeYAML(path, cfg); err != nil {
		return err
	}
	p, err := r.startProc(ctx, "dex", s.dir, r.bin("dex"), []string{"serve", path}, loopback.DexEnv(cfg, env))
	if err != nil {
		return err
	}
	return ready(ctx, p, loopback.DiscoveryURL(d.IssuerURL))
}

// startOAuth2Proxy runs oauth2-proxy from the emitted oauth2_proxy.cfg and
// Deployment (loopback.NewOAuth2Proxy), access and auth logs off. The
// emitted config has no skip_jwt_bearer_tokens (under the CUSTOM policy a
// bearer never reaches oauth2-proxy); the bench turns it on for the
// "oauth2-proxy verifies the bearer" row, what a user would otherwise run
// for machine clients.
func (r *Runner) startOAuth2Proxy(ctx context.Context, s *stack) error {
	ns := s.spec.OAuth2Proxy.Namespace
	cfg, w, err := s.objs.Program(loopback.Source{Namespace: ns, ConfigMap: "oauth2-proxy", Key: "oauth2_proxy.cfg", Deployment: "oauth2-proxy", Container: "oauth2-proxy"})
	if err != nil {
		return err
	}
	o, err := loopback.NewOAuth2Proxy(s.dir, cfg, w, s.secrets, s.o2pAddr)
	if err != nil {
		return err
	}
	args := append(o.Args, "--request-logging=false", "--auth-logging=false", "--skip-jwt-bearer-tokens=true")
	if s.o2p, err = r.startProc(ctx, "oauth2-proxy", s.dir, r.bin("oauth2-proxy"), args, o.Env); err != nil {
		return err
	}
	if err := ready(ctx, s.o2p, o.Ready); err != nil {
		return err
	}
	svc, err := s.objs.Get("Service", ns, "oauth2-proxy")
	if err != nil {
		return err
	}
	s.reg.Route(svc, w, o.ListenPort, s.o2pAddr)
	return nil
}

// startCheckServers runs the emitted check-server twice: as emitted, and
// with its caches off for the uncached rows.
func (r *Runner) startCheckServers(ctx context.Context, s *stack) error {
	ns := s.spec.CheckServer.Namespace
	emitted, w, err := s.objs.Program(loopback.Source{Namespace: ns, ConfigMap: "check-server", Key: "config.yaml", Deployment: "check-server", Container: "check-server"})
	if err != nil {
		return err
	}
	for i, cs := range []*checkServer{&s.cs, &s.csNoCache} {
		c, err := loopback.NewCheckServer(emitted, loopback.CheckServerListen{HTTP: cs.http, GRPC: cs.grpc, Ops: cs.ops}, s.reg)
		if err != nil {
			return err
		}
		name := "check-server"
		if i == 1 {
			name = "check-server (cache off)"
			if err := cacheOff(c.Config); err != nil {
				return err
			}
		}
		s.httpPathPrefix, _ = c.Config["httpPathPrefix"].(string)
		if cs.proc, err = r.startCheckServer(ctx, s, name, w, c, fmt.Sprintf("check-server-%d.yaml", i)); err != nil {
			return err
		}
	}
	return nil
}

// startCheckServer writes c's config to file and runs check-server with
// the emitted args, at log level warn: denials are logged at info, and
// oauth2-proxy runs with its request log off; both sides log nothing per
// request.
func (r *Runner) startCheckServer(ctx context.Context, s *stack, name string, w loopback.Workload, c loopback.CheckServer, file string) (*proc, error) {
	path := filepath.Join(s.dir, file)
	if err := writeYAML(path, c.Config); err != nil {
		return nil, err
	}
	args, err := w.ArgsWithConfig(path)
	if err != nil {
		return nil, err
	}
	env, err := w.Env(s.secrets)
	if err != nil {
		return nil, err
	}
	p, err := r.startProc(ctx, name, s.dir, r.bin("check-server"), append(args, "--log-level=warn"), env)
	if err != nil {
		return nil, err
	}
	return p, ready(ctx, p, c.Ready)
}

// cacheOff turns off the token cache and the session cache of a
// check-server config. Both must be there: a row named "cache off" must
// not measure a cache.
func cacheOff(cfg map[string]any) error {
	for _, path := range [][]string{{"cache"}, {"oauth2Proxy", "sessionCache"}} {
		m := cfg
		for _, k := range path {
			m, _ = m[k].(map[string]any)
		}
		if _, ok := m["size"]; !ok {
			return fmt.Errorf("the emitted check-server config has no %s.size to turn off", strings.Join(path, "."))
		}
		m["size"] = 0
	}
	return nil
}

// startNull runs the floor: meshauth-bench -null-server.
func (r *Runner) startNull(ctx context.Context, s *stack) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if s.null, err = r.startProc(ctx, "null", s.dir, self, []string{"-null-server", s.nullAddr}, nil); err != nil {
		return err
	}
	return ready(ctx, s.null, "http://"+s.nullAddr+"/")
}

// logIn logs in through oauth2-proxy and Dex (loopback.Login) for the
// session cookie, and takes Dex's password grant for the ID token: the
// bearer JWT both oauth2-proxy (skip_jwt_bearer_tokens) and check-server
// verify.
func logIn(ctx context.Context, s *stack) error {
	jar, _ := cookiejar.New(nil)
	public := &url.URL{Scheme: "http", Host: s.o2pAddr}
	b := loopback.Client{Base: public, HTTP: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport: gatewayTransport{public: s.o2pAddr, dex: s.dexAddr, rt: &http.Transport{Proxy: nil}}}}
	if _, err := loopback.Login(ctx, b, s.userEmail); err != nil {
		return fmt.Errorf("logging in through oauth2-proxy and Dex: %w", err)
	}
	var parts []string
	name := s.spec.OAuth2Proxy.Cookie.Name
	for _, c := range jar.Cookies(public) {
		// oauth2-proxy splits a large session into name_0, name_1, ….
		if c.Name == name || strings.HasPrefix(c.Name, name+"_") && strings.Trim(c.Name[len(name)+1:], "0123456789") == "" {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	if len(parts) == 0 {
		return fmt.Errorf("no session cookie %q after the login", name)
	}
	s.cookie = strings.Join(parts, "; ")
	if err := s.sessionAccepted(ctx); err != nil {
		return err
	}
	tok, err := loopback.PasswordGrant(ctx, b, "/dex/token", s.spec.OAuth2Proxy.ClientID, s.userEmail)
	s.idToken = tok
	return err
}

// sessionAccepted checks that oauth2-proxy takes the session cookie.
func (s *stack) sessionAccepted(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.o2pAddr+"/oauth2/auth", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", s.cookie)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("oauth2-proxy /oauth2/auth answers %d to the session cookie", resp.StatusCode)
	}
	return nil
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

func writeYAML(path string, v any) error {
	b, err := sigsyaml.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
