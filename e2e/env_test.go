package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"sigs.k8s.io/yaml"

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

	o2pCfgPath string
	o2pArgs    []string
	o2pEnv     []string

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

	r, err := renderAuthConfig(t, ctx, e.ac)
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
	json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "headers": r.Header})
}

// startDex boots Dex with the emitted (merged) config.yaml of the
// dex-clients component and the env of the emitted Deployment patch.
func (e *env) startDex(registry map[string]string) {
	t := e.t
	d := e.spec()["dex"].(map[string]any)
	ns, cm, dep, ctr := strOr(d, "namespace", "auth"), strOr(d, "configMap", "dex"), strOr(d, "deployment", "dex"), strOr(d, "container", "dex")
	emitted := e.r.configMapKey(t, ns, cm, "config.yaml")
	text, cfg, err := overrideDexConfig(emitted, e.dexAddr)
	if err == nil && e.opts.dexConfig != nil {
		e.opts.dexConfig(cfg)
		var b []byte
		b, err = yaml.Marshal(cfg)
		text = string(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	depPatch := e.r.find(t, "apps", "Deployment", ns, dep)
	envv := containerEnv(t, depPatch.String(), container(t, depPatch, ctr), testSecrets())
	// Stand-ins for Dex's own install: the password hash and the credentials
	// of static clients the function does not own (Kubeflow's envFrom Secrets).
	have := func(name string) bool {
		return slices.ContainsFunc(envv, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	}
	users, _ := cfg["staticPasswords"].([]any)
	for _, u := range users {
		um, _ := u.(map[string]any)
		if e.userEmail == "" {
			e.userEmail, _ = um["email"].(string)
		}
		if v, _ := um["hashFromEnv"].(string); v != "" && !have(v) {
			envv = append(envv, v+"="+testPasswordHash)
		}
	}
	if e.userEmail == "" {
		t.Fatalf("the emitted Dex config has no staticPasswords user to log in with")
	}
	clients, _ := cfg["staticClients"].([]any)
	for _, c := range clients {
		cm, _ := c.(map[string]any)
		for _, k := range []string{"idEnv", "secretEnv"} {
			if v, _ := cm[k].(string); v != "" && !have(v) {
				envv = append(envv, v+"=stand-in-"+strings.ToLower(v))
			}
		}
	}
	bin := binary(t, "dex")
	p := start(t, e.ctx, e.lg, "dex", bin, []string{"serve", path}, envv)
	e.lg.printf("dex", "config (emitted + overrides):\n%s", text)
	waitReady(t, e.ctx, p, e.issuerURL+"/.well-known/openid-configuration", 200)
	registry[dexService] = e.dexAddr
}

func strOr(m map[string]any, k, def string) string {
	if v, _ := m[k].(string); v != "" {
		return v
	}
	return def
}

// startOAuth2Proxy runs `oauth2-proxy --config-test` and then oauth2-proxy
// with the emitted oauth2_proxy.cfg and the emitted Deployment's args and env.
func (e *env) startOAuth2Proxy(registry map[string]string) {
	t := e.t
	ns := strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy")
	cfgText := e.r.configMapKey(t, ns, "oauth2-proxy", "oauth2_proxy.cfg")
	var cfg struct {
		HTTPAddress string `toml:"http_address"`
	}
	if _, err := toml.Decode(cfgText, &cfg); err != nil {
		t.Fatalf("the emitted oauth2_proxy.cfg is not TOML: %v", err)
	}
	e.o2pCfgPath = filepath.Join(t.TempDir(), "oauth2_proxy.cfg")
	if err := os.WriteFile(e.o2pCfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	dep := e.r.find(t, "apps", "Deployment", ns, "oauth2-proxy")
	c := container(t, dep, "oauth2-proxy")
	args := argsWithConfig(t, dep.String(), c, e.o2pCfgPath)
	port := freePort(t)
	e.o2pAddr = hostPort(port)
	args = append(args, "--http-address="+e.o2pAddr, "--metrics-address="+hostPort(freePort(t)))
	e.o2pArgs = args
	e.o2pEnv = containerEnv(t, dep.String(), c, testSecrets())
	bin := binary(t, "oauth2-proxy")

	out, code := run(e.ctx, readyTimeout, bin, append(slices.Clone(args), "--config-test"), e.o2pEnv)
	e.lg.printf("oauth2-proxy --config-test", "exit %d\n%s", code, out)
	if code != 0 {
		t.Fatalf("oauth2-proxy --config-test refuses the emitted config (exit %d):\n%s\n--- oauth2_proxy.cfg ---\n%s", code, out, cfgText)
	}
	p := start(t, e.ctx, e.lg, "oauth2-proxy", bin, args, e.o2pEnv)
	waitReady(t, e.ctx, p, "http://"+e.o2pAddr+"/ping", 200)

	// The Service resolves to oauth2-proxy only through a port whose
	// targetPort is the container port the emitted config listens on.
	_, cfgPort, _ := net.SplitHostPort(cfg.HTTPAddress)
	svc := e.r.find(t, "", "Service", ns, "oauth2-proxy")
	for sp, tp := range servicePorts(svc) {
		if cp, ok := containerPort(c, tp); ok && strconv.Itoa(cp) == cfgPort {
			registry[fmt.Sprintf("oauth2-proxy.%s.svc.cluster.local:%d", ns, sp)] = e.o2pAddr
		}
	}
}

// startCheckServer runs bin/check-server with the emitted config.yaml of the
// check-server component (loopback overrides in overrides_test.go) and the
// emitted Deployment's args.
func (e *env) startCheckServer(registry map[string]string) {
	t := e.t
	cs, _ := e.spec()["checkServer"].(map[string]any)
	ns := strOr(cs, "namespace", strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy"))
	emitted := e.r.configMapKey(t, ns, "check-server", "config.yaml")
	httpPort, opsPort := freePort(t), freePort(t)
	grpcAddr := ""
	if strOr(cs, "protocol", "http") == "grpc" {
		grpcAddr = hostPort(freePort(t))
	}
	text, listen, err := overrideCheckServerConfig(emitted, hostPort(httpPort), hostPort(opsPort), grpcAddr, registry)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	dep := e.r.find(t, "apps", "Deployment", ns, "check-server")
	c := container(t, dep, "check-server")
	args := argsWithConfig(t, dep.String(), c, path)
	envv := containerEnv(t, dep.String(), c, testSecrets())
	e.lg.printf("check-server", "config (emitted + overrides):\n%s", text)
	bin := binary(t, "check-server")
	if out, code := run(e.ctx, readyTimeout, bin, append(slices.Clone(args), "-validate"), envv); code != 0 {
		t.Fatalf("check-server -validate refuses the emitted config (exit %d):\n%s\n--- config.yaml ---\n%s", code, out, text)
	}
	p := start(t, e.ctx, e.lg, "check-server", bin, args, envv)
	waitReady(t, e.ctx, p, "http://"+hostPort(opsPort)+"/readyz", 200)
	e.csAddr = hostPort(httpPort)

	// The Service resolves to the check-server's HTTP listener only through a
	// port whose targetPort is the container port the emitted config listens on.
	svc := e.r.find(t, "", "Service", ns, "check-server")
	for sp, tp := range servicePorts(svc) {
		if cp, ok := containerPort(c, tp); ok && strconv.Itoa(cp) == listen.httpPort {
			registry[fmt.Sprintf("check-server.%s.svc.cluster.local:%d", ns, sp)] = e.csAddr
		}
		if cp, ok := containerPort(c, tp); ok && grpcAddr != "" && strconv.Itoa(cp) == listen.grpcPort {
			registry[fmt.Sprintf("check-server.%s.svc.cluster.local:%d", ns, sp)] = grpcAddr
		}
	}
}

// argsWithConfig is the container's args as emitted, with --config= pointed
// at path: the emitted workload must pass its config file by flag.
func argsWithConfig(t *testing.T, dep string, c map[string]any, path string) []string {
	t.Helper()
	var args []string
	list, _ := c["args"].([]any)
	sawConfig := false
	for _, a := range list {
		s, _ := a.(string)
		if strings.HasPrefix(s, "--config=") {
			s, sawConfig = "--config="+path, true
		}
		args = append(args, s)
	}
	if !sawConfig {
		t.Fatalf("%s: the container args %v do not pass --config=", dep, list)
	}
	return args
}
