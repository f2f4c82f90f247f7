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

	"github.com/BurntSushi/toml"
	"google.golang.org/protobuf/encoding/protojson"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	"sigs.k8s.io/yaml"
)

// loopbackAuthConfig is the AuthConfig of the e2e environment: publicURL and
// issuers on 127.0.0.1, the cookie not secure (plain http), and explicit
// values (client id, cookie name, header names, secret refs) so every flow
// can check the AuthConfig's intent against what the real programs do.
func loopbackAuthConfig(frontPort, dexPort int, iss *testIssuer, authorizer string) map[string]any {
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
			"oauth2Proxy": map[string]any{
				"clientID":        "e2e-oauth2-proxy",
				"clientSecretRef": map[string]any{"name": "e2e-oauth2-proxy", "key": "client-secret"},
				"cookieSecretRef": map[string]any{"name": "e2e-oauth2-proxy", "key": "cookie-secret"},
				"cookie":          map[string]any{"name": "e2e_session", "secure": false},
			},
			"identityHeaders": map[string]any{
				"user":   map[string]any{"header": "kubeflow-userid", "claim": "email"},
				"groups": map[string]any{"header": "kubeflow-groups", "claim": "groups"},
			},
			"machineIssuers": []any{map[string]any{
				"issuer":    iss.URL,
				"jwksURI":   iss.URL + "/jwks",
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
	issuer *testIssuer

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
}

func (e *env) spec() map[string]any { return e.ac["spec"].(map[string]any) }

// newEnv renders the loopback AuthConfig (changed by edits), boots Dex,
// oauth2-proxy (and the check-server when authorizer is check-server) from
// the rendered output, and serves the front. Every process is stopped by
// PID when the test ends.
func newEnv(t *testing.T, authorizer string, edits ...func(ac map[string]any)) *env {
	need := []string{"authconfig-fn", "oauth2-proxy", "dex"}
	if authorizer == "check-server" {
		need = append(need, "check-server")
	}
	requireBinaries(t, need...)
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	t.Cleanup(cancel)
	lg := newLogs(t)
	e := &env{t: t, ctx: ctx, lg: lg}

	frontL := listen(t)
	frontPort := frontL.Addr().(*net.TCPAddr).Port
	dexPort := freePort(t)
	e.frontURL = "http://" + hostPort(frontPort)
	e.dexAddr = hostPort(dexPort)
	e.issuer = newTestIssuer(t, lg)
	e.ac = loopbackAuthConfig(frontPort, dexPort, e.issuer, authorizer)
	for _, edit := range edits {
		edit(e.ac)
	}
	e.issuerURL = e.spec()["dex"].(map[string]any)["issuerURL"].(string)
	o := e.spec()["oauth2Proxy"].(map[string]any)
	e.clientID = o["clientID"].(string)
	e.cookieName = o["cookie"].(map[string]any)["name"].(string)
	ih := e.spec()["identityHeaders"].(map[string]any)
	e.userHeader = ih["user"].(map[string]any)["header"].(string)
	e.groupsHeader = ih["groups"].(map[string]any)["header"].(string)

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
	echoL := listen(t)
	serve(t, lg, "dashboard", echoL, http.HandlerFunc(echo))
	registry[dashboardService] = echoL.Addr().String()

	gw := e.gatewayConfig(registry)
	f, err := newFront(gw, lg)
	if err != nil {
		t.Fatalf("the front cannot implement the emitted Istio objects: %v", err)
	}
	serve(t, lg, "front", frontL, f)
	return e
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
	text, listen, err := overrideCheckServerConfig(emitted, hostPort(httpPort), hostPort(opsPort), registry)
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
	}
}

// gatewayConfig decodes the emitted Istio objects (strictly) for the front.
func (e *env) gatewayConfig(registry map[string]string) gatewayConfig {
	t := e.t
	spec := e.spec()
	gw, _ := spec["gateway"].(map[string]any)
	gwNS, gwName := strOr(gw, "namespace", "istio-system"), strOr(gw, "name", "kubeflow/kubeflow-gateway")
	gc := gatewayConfig{gatewayName: gwName, registry: registry, providers: map[string]*meshv1alpha1.MeshConfig_ExtensionProvider{}}

	// The mesh config's extension providers, each decoded strictly.
	meshText := e.r.configMapKey(t, "istio-system", "istio", "mesh")
	var mesh map[string]any
	if err := yaml.Unmarshal([]byte(meshText), &mesh); err != nil {
		t.Fatalf("the emitted mesh config is not YAML: %v", err)
	}
	provs, _ := mesh["extensionProviders"].([]any)
	for i, p := range provs {
		b, _ := json.Marshal(p)
		var ep meshv1alpha1.MeshConfig_ExtensionProvider
		if err := protojson.Unmarshal(b, &ep); err != nil {
			t.Fatalf("mesh config extensionProviders[%d] does not decode: %v", i, err)
		}
		gc.providers[ep.GetName()] = &ep
	}

	// Policies and JWT rules that apply to the gateway.
	selector, _ := gw["selector"].(map[string]any)
	if selector == nil {
		selector = map[string]any{"app": "istio-ingressgateway"}
	}
	applies := func(o object) bool {
		sel, _ := o.m["spec"].(map[string]any)["selector"].(map[string]any)
		ml, _ := sel["matchLabels"].(map[string]any)
		for k, v := range ml {
			if selector[k] != v {
				return false
			}
		}
		return true
	}
	for _, o := range e.r.all("security.istio.io", "AuthorizationPolicy", gwNS) {
		if o.patch || !applies(o) {
			continue
		}
		var ap security.AuthorizationPolicy
		decodeSpec(t, o, &ap)
		gc.policies = append(gc.policies, namedPolicy{o.name(), &ap})
	}
	for _, o := range e.r.all("security.istio.io", "RequestAuthentication", gwNS) {
		if o.patch || !applies(o) {
			continue
		}
		var ra security.RequestAuthentication
		decodeSpec(t, o, &ra)
		gc.requestAuth = append(gc.requestAuth, namedRequestAuth{o.name(), &ra})
	}

	// VirtualServices: the emitted ones, Dex's stand-in, and the dashboard's
	// stand-in with the emitted logout patches applied.
	addVS := func(o object) {
		var vs networking.VirtualService
		decodeSpec(t, o, &vs)
		gc.vservices = append(gc.vservices, namedVS{o.namespace(), o.name(), &vs})
	}
	lo, _ := spec["logout"].(map[string]any)
	vsRef, _ := lo["virtualService"].(map[string]any)
	dashNS, dashName := strOr(vsRef, "namespace", "kubeflow"), strOr(vsRef, "name", "centraldashboard")
	dash := standInDashboardVS(dashNS, dashName, gwName)
	for _, o := range e.r.all("networking.istio.io", "VirtualService", "") {
		switch {
		case o.patch && o.namespace() == dashNS && o.name() == dashName:
			mergePatch(dash, o.m)
		case o.patch:
			t.Fatalf("%s patches a VirtualService the harness has no stand-in for", o)
		default:
			addVS(o)
		}
	}
	for _, jp := range e.r.jsonPatches {
		if jp.target["kind"] == "VirtualService" && jp.target["name"] == dashName && strOr(jp.target, "namespace", dashNS) == dashNS {
			if err := applyJSONPatch(dash, jp.ops); err != nil {
				t.Fatalf("%s: applying the JSON patch to the dashboard VirtualService: %v", jp.where, err)
			}
		}
	}
	addVS(object{where: "stand-in", m: dash})
	addVS(object{where: "stand-in", m: standInDexVS(gwName)})
	return gc
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
