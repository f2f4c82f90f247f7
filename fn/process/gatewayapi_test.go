package process_test

import (
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

const globalDenyAll = "---\napiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata: {name: global-deny-all, namespace: istio-system}\nspec: {}\n"

const gatewayAPIConfig = `apiVersion: meshauth.dev/v1alpha1
kind: AuthConfig
metadata:
  name: kubeflow
spec:
  publicURL: https://kubeflow.example.com
  gateway:
    api: gateway-api
`

// accessHostsConfig adds a machine-only host (and its machine issuer) to
// gatewayAPIConfig's spec.
func accessHostsConfig(host string) string {
	return "  machineIssuers: [{name: ci, issuer: https://ci.example.net}]\n  access:\n    hosts: [{name: " + host + ", machinesOnly: true}]\n"
}

// gatewayWith is the Gateway istio-system/kubeflow-gateway with one listener.
func gatewayWith(class, listener string) string {
	return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: kubeflow-gateway
  namespace: istio-system
spec:
  gatewayClassName: ` + class + `
  listeners:
  - ` + strings.ReplaceAll(strings.TrimSpace(listener), "\n", "\n    ") + "\n"
}

// TestGatewayAPIRefusals: what would silently not work on the Gateway is
// refused, naming the object and the fix; what works passes.
func TestGatewayAPIRefusals(t *testing.T) {
	const all = "name: http\nport: 80\nprotocol: HTTP\nallowedRoutes:\n  namespaces:\n    from: All"
	for name, tc := range map[string]struct {
		items  string
		config string // gatewayAPIConfig when empty
		want   string // "" = no error result
	}{
		"class istio, routes from all namespaces": {items: gatewayWith("istio", all)},
		"an access host the listeners serve": {items: gatewayWith("istio", "name: https\nport: 443\nprotocol: HTTPS\nhostname: '*.example.com'\ntls:\n  certificateRefs: [{name: c}]\nallowedRoutes:\n  namespaces:\n    from: All"),
			config: gatewayAPIConfig + accessHostsConfig("api.example.com")},
		"an access host no listener serves": {items: gatewayWith("istio", all+"\nhostname: kubeflow.example.com"), config: gatewayAPIConfig + accessHostsConfig("api.example.net"),
			want: "spec.access.hosts[0]: Gateway istio-system/kubeflow-gateway has no HTTP or HTTPS listener for api.example.net"},
		"HTTPS on a matching wildcard hostname": {items: gatewayWith("istio", "name: https\nport: 443\nprotocol: HTTPS\nhostname: '*.example.com'\ntls:\n  certificateRefs: [{name: c}]\nallowedRoutes:\n  namespaces:\n    from: All")},
		"a class whose GatewayClass names Istio's controller": {items: gatewayWith("corp-ingress", all) +
			"---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: corp-ingress}\nspec: {controllerName: istio.io/gateway-controller}\n"},
		"routes admitted by a selector on the Namespaces' names": {items: gatewayWith("istio", "name: http\nport: 80\nprotocol: HTTP\nallowedRoutes:\n  namespaces:\n    from: Selector\n    selector:\n      matchExpressions:\n      - {key: kubernetes.io/metadata.name, operator: In, values: [auth, oauth2-proxy]}")},
		"a selector on a label meshauth's Namespace lacks": {items: gatewayWith("istio", "name: http\nport: 80\nprotocol: HTTP\nallowedRoutes:\n  namespaces:\n    from: Selector\n    selector:\n      matchLabels: {ingress: allowed}") +
			"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: auth, labels: {ingress: allowed}}\n" +
			"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: oauth2-proxy, labels: {ingress: allowed}}\n",
			// meshauth owns the oauth2-proxy Namespace: its labels are the ones that count.
			want: "allowedRoutes.namespaces.selector ingress=allowed does not match namespace oauth2-proxy"},
		"the waypoint class":             {items: gatewayWith("istio-waypoint", all), want: `gatewayClassName "istio-waypoint", which Istio does not run as an ingress gateway`},
		"another controller's class":     {items: gatewayWith("nginx", all), want: "set gatewayClassName: istio"},
		"routes only from its namespace": {items: gatewayWith("istio", "name: http\nport: 80\nprotocol: HTTP"), want: "HTTPRoute auth/dex is not admitted by Gateway istio-system/kubeflow-gateway (listener http: allowedRoutes.namespaces.from Same admits only routes in istio-system)"},
		"a listener for another host":    {items: gatewayWith("istio", all+"\nhostname: other.example.org"), want: "hostname other.example.org does not match kubeflow.example.com"},
		"a listener for GRPCRoutes only": {items: gatewayWith("istio", all+"\n  kinds: [{kind: GRPCRoute}]"), want: "allowedRoutes.kinds does not list HTTPRoute"},
		"TLS passthrough":                {items: gatewayWith("istio", "name: tls\nport: 443\nprotocol: TLS\ntls: {mode: Passthrough}\nallowedRoutes:\n  namespaces:\n    from: All"), want: "protocol TLS carries no HTTPRoutes"},
		"a manual gateway labelled for another Gateway": {items: strings.Replace(gatewayWith("istio", all), "  listeners:", "  addresses:\n  - {type: Hostname, value: gw.istio-system.svc.cluster.local}\n  listeners:", 1) +
			"---\napiVersion: v1\nkind: Service\nmetadata: {name: gw, namespace: istio-system}\nspec: {selector: {app: gw}, ports: [{port: 80}]}\n" +
			"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: gw}}\n  template:\n    metadata: {labels: {app: gw, gateway.networking.k8s.io/gateway-name: other}}\n    spec: {containers: [{name: istio-proxy, image: auto}]}\n",
			want: "Deployment istio-system/gw runs the pods of Gateway istio-system/kubeflow-gateway"},
		"a manual gateway with the label": {items: strings.Replace(gatewayWith("istio", all), "  listeners:", "  addresses:\n  - {type: Hostname, value: gw.istio-system.svc.cluster.local}\n  listeners:", 1) +
			"---\napiVersion: v1\nkind: Service\nmetadata: {name: gw, namespace: istio-system}\nspec: {selector: {app: gw}, ports: [{port: 80}]}\n" +
			"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: gw}}\n  template:\n    metadata: {labels: {app: gw, gateway.networking.k8s.io/gateway-name: kubeflow-gateway}}\n    spec: {containers: [{name: istio-proxy, image: auto}]}\n"},
		"a VirtualService for the host on a classic gateway": {items: gatewayWith("istio", all) +
			"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: app, namespace: kubeflow}\nspec: {gateways: [kubeflow/kubeflow-gateway], hosts: [kubeflow.example.com], http: [{route: [{destination: {host: app}}]}]}\n",
			want: "VirtualService kubeflow/app routes host kubeflow.example.com through gateway kubeflow/kubeflow-gateway"},
		"an app route naming the publicURL host": {items: gatewayWith("istio", all) +
			"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: app, namespace: kubeflow}\nspec: {parentRefs: [{name: kubeflow-gateway, namespace: istio-system}], hostnames: [kubeflow.example.com], rules: [{backendRefs: [{name: app, port: 80}]}]}\n",
			want: "HTTPRoute kubeflow/app on Gateway istio-system/kubeflow-gateway names hostname kubeflow.example.com, which covers the publicURL host"},
		"an app route naming the listener's own hostname": {items: gatewayWith("istio", all+"\nhostname: kubeflow.example.com") +
			"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: app, namespace: kubeflow}\nspec: {parentRefs: [{name: kubeflow-gateway, namespace: istio-system}], hostnames: [kubeflow.example.com], rules: [{backendRefs: [{name: app, port: 80}]}]}\n"},
		"an app route on another Gateway": {items: gatewayWith("istio", all) +
			"---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: app, namespace: kubeflow}\nspec: {parentRefs: [{name: other, namespace: istio-system}], hostnames: [kubeflow.example.com], rules: [{backendRefs: [{name: app, port: 80}]}]}\n"},
		"Kubeflow's global-deny-all with no ALLOW for the Gateway": {items: gatewayWith("istio", all) + globalDenyAll +
			"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec: {action: ALLOW, rules: [{}], selector: {matchLabels: {app: istio-ingressgateway}}}\n",
			want: "AuthorizationPolicy istio-system/global-deny-all allows nothing and selects no workload"},
		"global-deny-all and an ALLOW targeting the Gateway": {items: gatewayWith("istio", all) + globalDenyAll +
			"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: kubeflow-gateway, namespace: istio-system}\nspec: {action: ALLOW, rules: [{}], targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: kubeflow-gateway}]}\n"},
		"global-deny-all and an ALLOW selecting the Gateway's pods": {items: gatewayWith("istio", all) + globalDenyAll +
			"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: kubeflow-gateway, namespace: istio-system}\nspec: {rules: [{}], selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: kubeflow-gateway}}}\n"},
		"a mesh-only VirtualService": {items: gatewayWith("istio", all) +
			"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: app, namespace: kubeflow}\nspec: {hosts: ['*'], http: [{route: [{destination: {host: app}}]}]}\n"},
		"a VirtualService for another host": {items: gatewayWith("istio", all) +
			"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: app, namespace: kubeflow}\nspec: {gateways: [kubeflow/kubeflow-gateway], hosts: [other.example.org], http: [{route: [{destination: {host: app}}]}]}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			config := tc.config
			if config == "" {
				config = gatewayAPIConfig
			}
			cfg, err := fn.ParseKubeObject([]byte(config))
			if err != nil {
				t.Fatal(err)
			}
			items, err := fn.ParseKubeObjects([]byte(tc.items))
			if err != nil {
				t.Fatal(err)
			}
			rl := &fn.ResourceList{Items: items, FunctionConfig: cfg}
			if _, err := (process.Processor{Mode: process.Components}).Process(rl); err != nil {
				t.Fatal(err)
			}
			var errs []string
			for _, r := range rl.Results {
				if r.Severity == fn.Error {
					errs = append(errs, r.Message)
				}
			}
			got := strings.Join(errs, "\n")
			switch {
			case tc.want == "" && got != "":
				t.Errorf("refused:\n%s", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("want an error containing %q, got:\n%s", tc.want, got)
			}
		})
	}
}
