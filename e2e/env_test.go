package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/internal/loopback"
	"meshauth.dev/meshauth/internal/testissuer"
)

// loopbackAuthConfig is the AuthConfig of the e2e environment: publicURL and
// issuers on 127.0.0.1, the cookie not secure (plain http), and explicit
// values (client id, cookie name, header names, secret refs) so every flow
// can check the AuthConfig's intent against what the real programs do.
func loopbackAuthConfig(frontPort, dexPort int, iss *testissuer.Issuer, authorizer string) map[string]any {
	public := "http://" + hostPort(frontPort)
	return map[string]any{
		"apiVersion": "meshauth.dev/v1alpha1",
		"kind":       "AuthConfig",
		"metadata":   map[string]any{"name": "e2e"},
		"spec": map[string]any{
			"publicURL": public,
			// Dex's login pages, and the dashboard's assets (the public-path tricks).
			"publicPaths": []any{"/dex/", staticPrefix},
			"dex": map[string]any{
				"issuerURL":       "http://" + hostPort(dexPort) + "/dex",
				"clientSecretRef": map[string]any{"name": "e2e-dex-oauth2-client", "key": "client-secret"},
				// Dex's password grant, for flow 5's Dex-issued bearer token.
				"passwordConnector": "local",
			},
			"oauth2Proxy": loopbackOAuth2Proxy(),
			"identityHeaders": map[string]any{
				"user":   map[string]any{"header": "kubeflow-userid", "claim": "email"},
				"groups": map[string]any{"header": "kubeflow-groups", "claim": "groups"},
			},
			"machineIssuers": []any{map[string]any{
				"issuer":    iss.URL,
				"jwksURI":   iss.JWKSURI,
				"audiences": []any{"e2e-machines"},
			}},
			"authorizer": authorizer,
		},
	}
}

// env is one booted environment: the rendered output, the processes, the
// front, and what the AuthConfig says the flows must observe.
type env struct {
	t      *testing.T
	ctx    context.Context
	lg     *logs
	ac     map[string]any
	r      *rendered
	issuer *testissuer.Issuer

	frontURL  string
	issuerURL string // Dex's
	dexAddr   string
	o2pAddr   string
	csAddr    string

	o2pArgs []string
	o2pEnv  []string

	// From the AuthConfig.
	clientID, cookieName, userHeader, groupsHeader string
	// From the emitted Dex config (Kubeflow's default user).
	userEmail string
	// How long istiod took to generate the gateway's xDS.
	xdsTime time.Duration

	opts envOptions
}

// envOptions changes what newEnvWith boots; the zero value is the loopback
// environment of newEnv. The browser environment (browser_env_test.go) sets
// them: an https AuthConfig, TLS on the front's listener, an HTML dashboard.
type envOptions struct {
	authConfig    func(frontPort, dexPort int, iss *testissuer.Issuer, authorizer string) map[string]any // loopbackAuthConfig when nil
	dexConfig     func(cfg map[string]any)                                                               // edits the Dex config after the loopback overrides
	dashboard     http.Handler                                                                           // the echo when nil
	frontListener func(net.Listener) net.Listener                                                        // wraps the front's listener (TLS)
	specMods      []func(spec map[string]any)                                                            // change the AuthConfig before it is rendered
	render        func(t testing.TB, ctx context.Context, ac map[string]any) (*rendered, error)          // renderAuthConfig when nil (helm_test.go: through the charts)
	// pathNormalization sets the mesh config's pathNormalization (NONE,
	// BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES) istiod generates with.
	pathNormalization string
}

func (e *env) spec() map[string]any { return e.ac["spec"].(map[string]any) }

// newEnv renders the loopback AuthConfig, boots Dex, oauth2-proxy (and the
// check-server when authorizer is check-server) from the rendered output, and
// serves the gateway on istiod's xDS. mods change the loopback AuthConfig
// before it is rendered. Every process is stopped by PID when the test ends.
func newEnv(t *testing.T, authorizer string, mods ...func(spec map[string]any)) *env {
	return newEnvWith(t, authorizer, envOptions{specMods: mods})
}

func newEnvWith(t *testing.T, authorizer string, opts envOptions) *env {
	need := []string{"authconfig-fn", "oauth2-proxy", "dex", "istiod-xds"}
	if authorizer == "check-server" {
		need = append(need, "check-server")
	}
	requireBinaries(t, need...)
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	t.Cleanup(cancel)
	lg := newLogs(t)
	e := &env{t: t, ctx: ctx, lg: lg, opts: opts}
	if opts.authConfig == nil {
		opts.authConfig = loopbackAuthConfig
	}

	frontL := listen(t)
	frontPort := frontL.Addr().(*net.TCPAddr).Port
	dexPort := freePort(t)
	e.frontURL = "http://" + hostPort(frontPort)
	e.dexAddr = hostPort(dexPort)
	e.issuer = testissuer.New(t, testissuer.Options{Log: lg.get("issuer")})
	e.ac = opts.authConfig(frontPort, dexPort, e.issuer, authorizer)
	for _, m := range opts.specMods {
		m(e.spec())
	}
	e.issuerURL = e.spec()["dex"].(map[string]any)["issuerURL"].(string)
	e.readIntent()

	render := renderAuthConfig
	if opts.render != nil {
		render = opts.render
	}
	r, err := render(t, ctx, e.ac)
	if err != nil {
		t.Fatalf("the loopback AuthConfig does not render: %v", err)
	}
	e.r = r

	registry := map[string]string{}
	e.startDex(registry)
	e.startOAuth2Proxy(registry)
	if authorizer == "check-server" {
		e.startCheckServer(registry)
	}
	e.serveGateway(frontL, registry)
	return e
}

// readIntent takes from the AuthConfig what the flows check the real
// programs against: client id, cookie name, header names.
func (e *env) readIntent() {
	o := e.spec()["oauth2Proxy"].(map[string]any)
	e.clientID = o["clientID"].(string)
	e.cookieName = o["cookie"].(map[string]any)["name"].(string)
	ih := e.spec()["identityHeaders"].(map[string]any)
	e.userHeader = ih["user"].(map[string]any)["header"].(string)
	e.groupsHeader = ih["groups"].(map[string]any)["header"].(string)
}

// serveGateway serves the dashboard stand-in and the gateway (internal/gateway
// on istiod's xDS for the emitted objects) on frontL.
func (e *env) serveGateway(frontL net.Listener, registry map[string]string) {
	t := e.t
	echoL := listen(t)
	dashboard := e.opts.dashboard
	if dashboard == nil {
		dashboard = http.HandlerFunc(echo)
	}
	serve(t, e.lg, "dashboard", echoL, dashboard)
	registry[dashboardService] = echoL.Addr().String()

	gw := e.newGateway(registry)
	if e.opts.frontListener != nil {
		frontL = e.opts.frontListener(frontL)
	}
	serve(t, e.lg, "front", frontL, gw)
}

// echo is the dashboard stand-in: it answers 200 with what it received.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "target": r.RequestURI, "headers": r.Header})
}

// startDex boots Dex with the emitted (merged) config.yaml of the
// dex-clients component and the env of the emitted Deployment patch, with
// the loopback overrides (loopback.DexConfig, loopback.DexEnv).
func (e *env) startDex(registry map[string]string) {
	t := e.t
	d := e.spec()["dex"].(map[string]any)
	ns, cm, dep, ctr := strOr(d, "namespace", "auth"), strOr(d, "configMap", "dex"), strOr(d, "deployment", "dex"), strOr(d, "container", "dex")
	cfg, err := loopback.DexConfig(e.r.configMapKey(t, ns, cm, "config.yaml"), e.dexAddr, testGroup)
	if err != nil {
		t.Fatal(err)
	}
	if e.opts.dexConfig != nil {
		e.opts.dexConfig(cfg)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := writeYAML(t, path, cfg)
	if e.userEmail, err = loopback.DexUser(cfg); err != nil {
		t.Fatal(err)
	}
	w := workload(t, e.r.find(t, "apps", "Deployment", ns, dep), ctr)
	p := start(t, e.ctx, e.lg, "dex", binary(t, "dex"), []string{"serve", path}, loopback.DexEnv(cfg, workloadEnv(t, w)))
	e.lg.printf("dex", "config (emitted + overrides):\n%s", text)
	waitReady(t, e.ctx, p, loopback.DiscoveryURL(e.issuerURL))
	registry[dexService] = e.dexAddr
}

func strOr(m map[string]any, k, def string) string {
	if v, _ := m[k].(string); v != "" {
		return v
	}
	return def
}

// startOAuth2Proxy runs `oauth2-proxy --config-test` and then oauth2-proxy
// with the emitted oauth2_proxy.cfg and the emitted Deployment's args and
// env (loopback.NewOAuth2Proxy).
func (e *env) startOAuth2Proxy(registry map[string]string) {
	t := e.t
	ns := strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy")
	cfgText := e.r.configMapKey(t, ns, "oauth2-proxy", "oauth2_proxy.cfg")
	w := workload(t, e.r.find(t, "apps", "Deployment", ns, "oauth2-proxy"), "oauth2-proxy")
	e.o2pAddr = hostPort(freePort(t))
	o, err := loopback.NewOAuth2Proxy(t.TempDir(), cfgText, w, testSecrets(), e.o2pAddr)
	if err != nil {
		t.Fatal(err)
	}
	e.o2pArgs, e.o2pEnv = o.Args, o.Env
	bin := binary(t, "oauth2-proxy")
	out, code := run(e.ctx, readyTimeout, bin, append(slices.Clone(o.Args), "--config-test"), o.Env)
	e.lg.printf("oauth2-proxy --config-test", "exit %d\n%s", code, out)
	if code != 0 {
		t.Fatalf("oauth2-proxy --config-test refuses the emitted config (exit %d):\n%s\n--- oauth2_proxy.cfg ---\n%s", code, out, cfgText)
	}
	p := start(t, e.ctx, e.lg, "oauth2-proxy", bin, o.Args, o.Env)
	waitReady(t, e.ctx, p, o.Ready)
	loopback.Registry(registry).Route(e.r.find(t, "", "Service", ns, "oauth2-proxy").m, w, o.ListenPort, e.o2pAddr)
}

// startCheckServer runs bin/check-server with the emitted config.yaml of the
// check-server component (loopback.NewCheckServer's overrides) and the
// emitted Deployment's args, after `check-server -validate` on them.
func (e *env) startCheckServer(registry map[string]string) {
	t := e.t
	cs, _ := e.spec()["checkServer"].(map[string]any)
	ns := strOr(cs, "namespace", strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy"))
	l := loopback.CheckServerListen{HTTP: hostPort(freePort(t)), Ops: hostPort(freePort(t))}
	if strOr(cs, "protocol", "http") == "grpc" {
		l.GRPC = hostPort(freePort(t))
	}
	c, err := loopback.NewCheckServer(e.r.configMapKey(t, ns, "check-server", "config.yaml"), l, registry)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := writeYAML(t, path, c.Config)
	w := workload(t, e.r.find(t, "apps", "Deployment", ns, "check-server"), "check-server")
	args, err := w.ArgsWithConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	envv := workloadEnv(t, w)
	e.lg.printf("check-server", "config (emitted + overrides):\n%s", text)
	bin := binary(t, "check-server")
	if out, code := run(e.ctx, readyTimeout, bin, append(slices.Clone(args), "-validate"), envv); code != 0 {
		t.Fatalf("check-server -validate refuses the emitted config (exit %d):\n%s\n--- config.yaml ---\n%s", code, out, text)
	}
	p := start(t, e.ctx, e.lg, "check-server", bin, args, envv)
	waitReady(t, e.ctx, p, c.Ready)
	e.csAddr = l.HTTP
	svc := e.r.find(t, "", "Service", ns, "check-server").m
	loopback.Registry(registry).Route(svc, w, c.HTTPPort, l.HTTP)
	if l.GRPC != "" {
		loopback.Registry(registry).Route(svc, w, c.GRPCPort, l.GRPC)
	}
}

// workload is a container of an emitted Deployment (or patch).
func workload(t testing.TB, dep object, name string) loopback.Workload {
	t.Helper()
	w, err := loopback.ContainerOf(dep.m, name)
	if err != nil {
		t.Fatalf("%s: %v", dep, err)
	}
	return w
}

// workloadEnv is its env, the Secrets by the harness's test values.
func workloadEnv(t testing.TB, w loopback.Workload) []string {
	t.Helper()
	env, err := w.Env(testSecrets())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// writeYAML writes v to path and returns the text.
func writeYAML(t testing.TB, path string, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err == nil {
		err = os.WriteFile(path, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
