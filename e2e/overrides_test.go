package e2e

// Every change the harness makes to what authconfig-fn emits, and every
// object it stands in for, in one place. Nothing else is changed: the
// oauth2-proxy config file is passed byte for byte, the Dex config is the
// emitted one with these keys replaced, the front is driven by the emitted
// Istio objects. The rows for Dex, oauth2-proxy, check-server, the Secrets
// and cluster DNS are internal/loopback's steps, which make bench runs too.
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
// | with gateway.api: gateway-api: the Kubernetes Gateway | the platform's            | standInK8sGateway below: class istio, HTTP :80, routes from all namespaces | not emitted: the platform owns it |
// | ... the dashboard's route              | the dashboard's HTTPRoute            | standInDashboardRoute below (/ → the dashboard) | not emitted: the dashboard owns it |
// | ... the gateway's Service and pod labels | Istio's deployment controller: <gw>-istio, the pods it labels | standInManagedGateway below (targetPort written: the fake clientset applies no defaults) | istiod-xds runs no deployment controller |
// | Services of Dex and the dashboard      | their installs                       | standInServices below                   | not emitted; istiod needs them for clusters |
// | the corporate IdP (Hydra flows)        | Keycloak/Entra/Okta/…                | Ory Hydra v2.3.0, in memory, its clients registered by the test, a login/consent/logout app accepting over the admin API | an OpenID-certified provider that runs here |
// | the oauth2-proxy client's token lifetimes (Hydra) | the IdP's (Hydra's own: 60 s) | 5 s (client lifespans), idTokenLifetime: 5s | see a token expire without waiting 60 s |
// | oauth2_proxy.cfg cookie_refresh (TestHydraRefreshRefusedOrBroken only) | the derived 2.5s | 59m (E2E_MUTATE) | what the old fixed default does |
// | Redis address (TestRedis*Sessions)     | a Service                            | 127.0.0.1:<free> in the AuthConfig (a cluster's seed node; rediss:// for TLS) | no cluster DNS |
// | files of mounted Secrets (redis_ca_path) | /etc/oauth2-proxy-redis-ca/<key> (Secret volume) | <tmp>/secrets/<n>/<key>, passed as --redis-ca-path (loopback.SecretFiles) | no kubelet; a flag overrides the file, which stays the emitted one |
// | the Redis Cluster (TestRedisCluster*Sessions) | the user's cluster, behind a Service | three masters, no replicas; the seed (the one address) holds no slot | a key can only be reached through the slot map |
// | the Redis CA Secret (TestRedis*TLSSessions) | a Secret the user creates          | a CA the test generates (addTestSecret) | the function never writes secrets          |
// | the Redis password Secret (TestRedis*PasswordSessions) | a Secret the user creates | e2e-redis: a password per test (addTestSecret); the wrong one of the refusal only for that run | the function never writes secrets |
// | the Redis servers' certificate (TestRedis*TLSSessions) | the user's | one leaf of the e2e test CA for 127.0.0.1, server and client usage | a TLS cluster bus asks nodes for client certificates |

import (
	"strings"

	"meshauth.dev/meshauth/internal/loopback"
)

// testGroup is the group of every static user that has none (Kubeflow's
// default user): flow 2 checks the groups header.
const testGroup = "e2e-team"

// testSecrets are the Secrets by the names and keys the AuthConfig below
// references, with the loopback stack's test values, and those a test made
// for its run (addTestSecret).
func testSecrets() loopback.Secrets {
	return withRunSecrets(loopback.Secrets{
		"e2e-oauth2-proxy":      {"client-secret": loopback.ClientSecret, "cookie-secret": loopback.CookieSecret},
		"e2e-dex-oauth2-client": {"client-secret": loopback.ClientSecret},
	})
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

// gatewayAPIGroup is the Kubernetes Gateway API's group.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// standInK8sGateway is the platform's Kubernetes Gateway for gateway.api: gateway-api: class
// istio, HTTP on port 80, HTTPRoutes from every namespace.
func standInK8sGateway(ns, name string) map[string]any {
	return map[string]any{"apiVersion": gatewayAPIGroup + "/v1", "kind": "Gateway",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{"gatewayClassName": "istio", "listeners": []any{map[string]any{
			"name": "http", "port": 80, "protocol": "HTTP",
			"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": "All"}},
		}}}}
}

// standInDashboardRoute is the dashboard's catch-all as an HTTPRoute on the Gateway.
func standInDashboardRoute(gwNS, gwName string) map[string]any {
	return map[string]any{"apiVersion": gatewayAPIGroup + "/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"namespace": "kubeflow", "name": "centraldashboard"},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"group": gatewayAPIGroup, "kind": "Gateway", "namespace": gwNS, "name": gwName}},
			"rules": []any{map[string]any{
				"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/"}}},
				"backendRefs": []any{map[string]any{"group": "", "kind": "Service", "name": "centraldashboard", "port": 80, "weight": 1}},
			}},
		}}
}

// standInManagedGateway is what Istio's deployment controller makes for the Gateway: the Service
// <name>-istio selecting the gateway pods by the gateway-name label (targetPort written out), and
// the labels it gives those pods.
func standInManagedGateway(ns, name string) (map[string]any, map[string]string) {
	labels := map[string]string{
		"gateway.networking.k8s.io/gateway-name":       name,
		"gateway.networking.k8s.io/gateway-class-name": "istio",
		"gateway.istio.io/managed":                     "istio.io-gateway-controller",
		"service.istio.io/canonical-name":              name + "-istio",
	}
	svc := map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"namespace": ns, "name": name + "-istio"},
		"spec": map[string]any{
			"selector": map[string]any{"gateway.networking.k8s.io/gateway-name": name},
			"ports":    []any{map[string]any{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}},
		}}
	return svc, labels
}
