package e2e

// Every change the harness makes to what authconfig-fn emits, and every
// object it stands in for, in one place. Nothing else is changed: the
// oauth2-proxy config file is passed byte for byte, the Dex config is the
// emitted one with these keys replaced, the front is driven by the emitted
// Istio objects.
//
// | what                                   | emitted (cluster)                    | e2e (loopback)                          | why                                        |
// |----------------------------------------|--------------------------------------|-----------------------------------------|--------------------------------------------|
// | oauth2-proxy --config                  | /etc/oauth2-proxy/oauth2_proxy.cfg   | <tmp>/oauth2_proxy.cfg (same bytes)     | file path                                  |
// | oauth2-proxy listen address            | http_address 0.0.0.0:4180            | --http-address 127.0.0.1:<free>         | listen address (flag overrides the file)   |
// | oauth2-proxy metrics address           | metrics_address 0.0.0.0:44180        | --metrics-address 127.0.0.1:<free>      | listen address                             |
// | Dex web.http                           | 0.0.0.0:5556                         | 127.0.0.1:<dex port>                    | listen address                             |
// | Dex storage                            | kubernetes (inCluster)               | memory                                  | no Kubernetes API here                     |
// | Dex staticPasswords[*].groups          | none (Kubeflow's default user)       | [e2e-team] when a user has none         | test user data: flow 2 checks the groups header |
// | Secrets (secretKeyRef in Deployments)  | Secrets the user creates             | test values, by the refs in the AuthConfig | the function never writes secrets       |
// | Dex env for hashFromEnv / idEnv / secretEnv of clients the function does not own | Kubeflow's Secrets (envFrom) | test values | Dex's own install, not emitted |
// | cluster DNS                            | <svc>.<ns>.svc.cluster.local:<port>  | 127.0.0.1:<port> (registry)             | Services resolve to the loopback processes; a Service port resolves only when its targetPort is the port the emitted config listens on |
// | Dex's VirtualService (/dex/)           | Dex's install (kubeflow/manifests)   | standInDexVS below                      | not emitted: Dex's install owns it         |
// | the dashboard VirtualService           | kubeflow/centraldashboard            | standInDashboardVS + the emitted logout patch | not emitted: the dashboard owns it; the patch is applied as kustomize would |
// | the dashboard                          | centraldashboard.kubeflow:80         | an echo server                          | shows what the upstream receives           |
// | check-server listen.http / listen.ops  | :8080 / :8081                        | 127.0.0.1:<free>                        | listen address                             |
// | check-server listen.grpc               | :9000                                | 127.0.0.1:<free>, or "" (off) when the provider is HTTP | listen address           |
// | check-server oauth2Proxy.url           | http://oauth2-proxy.<ns>.svc.cluster.local[:port] | the loopback oauth2-proxy (registry) | cluster DNS                         |
// | check-server kubernetes.tokenReview    | enabled, in-cluster API server       | disabled                                | no Kubernetes API here                     |
// | Istio ingress gateway                  | Envoy with istiod's xDS              | internal/gateway on istiod-xds's output (gateway_test.go) | Envoy does not run here    |
// | the Gateway kubeflow/kubeflow-gateway  | kubeflow/manifests                   | standInGateway below                    | not emitted: Kubeflow's install owns it    |
// | the gateway pod's labels               | the istio-ingressgateway Deployment  | standInGatewayPodLabels: the selector + Istio's defaults | not emitted: Istio's install |
// | Services of Dex and the dashboard      | their installs                       | standInServices below                   | not emitted; istiod needs them for clusters |
// | the corporate IdP (Hydra flows)        | Keycloak/Entra/Okta/…                | Ory Hydra v2.3.0, in memory, its clients registered by the test, a login/consent/logout app accepting over the admin API | an OpenID-certified provider that runs here |
// | the oauth2-proxy client's token lifetimes (Hydra) | the IdP's (Hydra's own: 60 s) | 5 s (client lifespans), idTokenLifetime: 5s | see a token expire without waiting 60 s |
// | oauth2_proxy.cfg cookie_refresh (TestHydraRefreshRefusedOrBroken only) | the derived 2.5s | 59m (E2E_MUTATE) | what the old fixed default does |
// | Redis address (TestRedisSessions)      | a Service                            | 127.0.0.1:<free> in the AuthConfig      | no cluster DNS                             |

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"sigs.k8s.io/yaml"
)

// The test user's password and a bcrypt hash of it (cost 10, the minimum Dex accepts), given to
// Dex through the hashFromEnv variables of the emitted staticPasswords.
const (
	testPassword     = "e2e-password-1234"
	testPasswordHash = "$2a$10$ULcT81XU0CWAV5f/GC9D2e7A8WHsJaCZ2U/oYwNBKuIi7Cthm2Fau"
	testGroup        = "e2e-team"
)

// Test Secrets, by the names and keys the AuthConfig below references.
const (
	testClientSecret = "e2e-client-secret-0123456789"
	testCookieSecret = "0123456789abcdef0123456789abcdef" // 32 bytes: AES-256
)

func testSecrets() map[string]map[string]string {
	return map[string]map[string]string{
		"e2e-oauth2-proxy":      {"client-secret": testClientSecret, "cookie-secret": testCookieSecret},
		"e2e-dex-oauth2-client": {"client-secret": testClientSecret},
	}
}

// overrideDexConfig applies the loopback overrides to the emitted Dex config.
func overrideDexConfig(emitted string, dexAddr string) (string, map[string]any, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(emitted), &cfg); err != nil {
		return "", nil, fmt.Errorf("the emitted Dex config.yaml: %w", err)
	}
	web, _ := cfg["web"].(map[string]any)
	if web == nil {
		web = map[string]any{}
		cfg["web"] = web
	}
	web["http"] = dexAddr
	cfg["storage"] = map[string]any{"type": "memory"}
	// Test user data: Kubeflow's default user has no groups; flow 2 checks
	// the groups header, so the users get testGroup when they have none.
	users, _ := cfg["staticPasswords"].([]any)
	for _, u := range users {
		if um, ok := u.(map[string]any); ok && um["groups"] == nil {
			um["groups"] = []any{testGroup}
		}
	}
	b, err := yaml.Marshal(cfg)
	return string(b), cfg, err
}

// Stand-in Service addresses the emitted objects refer to but do not define.
const (
	dexService       = "dex.auth.svc.cluster.local:5556"
	dashboardService = "centraldashboard.kubeflow.svc.cluster.local:80"
)

// standInDexVS is Dex's VirtualService as kubeflow/manifests ships it.
func standInDexVS(gateway string) map[string]any {
	return map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"namespace": "auth", "name": "dex"},
		"spec": map[string]any{
			"gateways": []any{gateway}, "hosts": []any{"*"},
			"http": []any{map[string]any{
				"match": []any{map[string]any{"uri": map[string]any{"prefix": "/dex/"}}},
				"route": []any{map[string]any{"destination": map[string]any{"host": "dex.auth.svc.cluster.local", "port": map[string]any{"number": 5556}}}},
			}},
		},
	}
}

// standInDashboardVS is the dashboard's catch-all VirtualService, the target
// of the emitted logout patch.
func standInDashboardVS(namespace, name, gateway string) map[string]any {
	return map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]any{"namespace": namespace, "name": name},
		"spec": map[string]any{
			"gateways": []any{gateway}, "hosts": []any{"*"},
			"http": []any{map[string]any{
				"match": []any{map[string]any{"uri": map[string]any{"prefix": "/"}}},
				"route": []any{map[string]any{"destination": map[string]any{"host": "centraldashboard.kubeflow.svc.cluster.local", "port": map[string]any{"number": 80}}}},
			}},
		},
	}
}

// standInServices are the Services the routes name that the function does
// not emit (istiod makes a cluster only for a known Service).
func standInServices() []map[string]any {
	svc := func(ns, name string, port int) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"namespace": ns, "name": name},
			"spec": map[string]any{"selector": map[string]any{"app": name},
				"ports": []any{map[string]any{"name": "http", "port": port, "protocol": "TCP"}}}}
	}
	return []map[string]any{svc("auth", "dex", 5556), svc("kubeflow", "centraldashboard", 80)}
}

// standInGatewayPodLabels are the ingress gateway pod's labels: the
// AuthConfig's selector plus those Istio's gateway chart sets, which
// Kubeflow's Gateway selects on.
func standInGatewayPodLabels(selector map[string]string) map[string]string {
	l := map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway"}
	for k, v := range selector {
		l[k] = v
	}
	return l
}

// standInGateway is Kubeflow's Gateway: HTTP on port 80, every host.
func standInGateway(nsName string, podLabels map[string]string) map[string]any {
	ns, name, _ := strings.Cut(nsName, "/")
	sel := map[string]any{}
	if v, ok := podLabels["istio"]; ok {
		sel["istio"] = v
	}
	return map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{"selector": sel, "servers": []any{map[string]any{
			"port":  map[string]any{"number": 80, "name": "http", "protocol": "HTTP"},
			"hosts": []any{"*"},
		}}}}
}

type checkServerListen struct{ httpPort, grpcPort string }

// overrideCheckServerConfig applies the loopback overrides to the emitted
// check-server config.yaml: listen addresses, oauth2Proxy.url through the
// registry (cluster DNS), TokenReview off. It returns the port the emitted
// config listened on for HTTP, to check the Service against.
func overrideCheckServerConfig(emitted, httpAddr, opsAddr, grpcAddr string, registry map[string]string) (string, checkServerListen, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(emitted), &cfg); err != nil {
		return "", checkServerListen{}, fmt.Errorf("the emitted check-server config.yaml: %w", err)
	}
	listen, _ := cfg["listen"].(map[string]any)
	if listen == nil {
		return "", checkServerListen{}, fmt.Errorf("the emitted check-server config has no listen addresses")
	}
	emittedHTTP, _ := listen["http"].(string)
	_, port, _ := net.SplitHostPort(emittedHTTP)
	emittedGRPC, _ := listen["grpc"].(string)
	_, grpcPort, _ := net.SplitHostPort(emittedGRPC)
	listen["http"], listen["ops"], listen["grpc"] = httpAddr, opsAddr, grpcAddr
	if o, ok := cfg["oauth2Proxy"].(map[string]any); ok {
		if u, _ := o["url"].(string); u != "" {
			pu, err := url.Parse(u)
			if err != nil {
				return "", checkServerListen{}, fmt.Errorf("check-server oauth2Proxy.url %q: %w", u, err)
			}
			hp := pu.Host
			if pu.Port() == "" {
				hp += ":80"
			}
			addr, ok := registry[hp]
			if !ok {
				return "", checkServerListen{}, fmt.Errorf("check-server oauth2Proxy.url %q names no emitted oauth2-proxy Service port (known: %v)", u, mapKeys(registry))
			}
			pu.Host = addr
			o["url"] = pu.String()
		}
	}
	if k, ok := cfg["kubernetes"].(map[string]any); ok {
		if tr, ok := k["tokenReview"].(map[string]any); ok {
			tr["enabled"] = false
		}
	}
	b, err := yaml.Marshal(cfg)
	return string(b), checkServerListen{httpPort: port, grpcPort: grpcPort}, err
}
