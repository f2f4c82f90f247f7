package api

import (
	"maps"
	"strings"
	"testing"
)

func gatewayAPIConfig(g Gateway) AuthConfig {
	g.API = GatewayAPI
	return Defaulted(AuthConfig{
		APIVersion: APIVersion, Kind: Kind,
		Metadata: ObjectMeta{Name: "kubeflow"},
		Spec:     Spec{PublicURL: "https://kubeflow.example.com", Gateway: g},
	})
}

// The classic mode keeps its defaults; gateway-api derives the namespace,
// the name and the pod label from what the user names.
func TestGatewayDefaults(t *testing.T) {
	for name, tc := range map[string]struct {
		in            Gateway
		ns, gw        string
		selector      map[string]string
		logoutVSEmpty bool
	}{
		"classic": {in: Gateway{}, ns: "istio-system", gw: "kubeflow/kubeflow-gateway",
			selector: map[string]string{"app": "istio-ingressgateway"}},
		"gateway-api, nothing named": {in: Gateway{API: GatewayAPI}, ns: "istio-system", gw: "istio-system/kubeflow-gateway",
			selector: map[string]string{GatewayNameLabel: "kubeflow-gateway"}, logoutVSEmpty: true},
		"gateway-api, the name gives the namespace": {in: Gateway{API: GatewayAPI, Name: "ingress/edge"}, ns: "ingress", gw: "ingress/edge",
			selector: map[string]string{GatewayNameLabel: "edge"}, logoutVSEmpty: true},
		"gateway-api, a bare name in the namespace": {in: Gateway{API: GatewayAPI, Namespace: "gw", Name: "edge"}, ns: "gw", gw: "gw/edge",
			selector: map[string]string{GatewayNameLabel: "edge"}, logoutVSEmpty: true},
	} {
		t.Run(name, func(t *testing.T) {
			c := Defaulted(AuthConfig{Spec: Spec{PublicURL: "https://kubeflow.example.com", Gateway: tc.in}})
			g := c.Spec.Gateway
			if g.Namespace != tc.ns || g.Name != tc.gw || !maps.Equal(g.Selector, tc.selector) {
				t.Errorf("got namespace %q name %q selector %v, want %q %q %v", g.Namespace, g.Name, g.Selector, tc.ns, tc.gw, tc.selector)
			}
			if empty := c.Spec.Logout.VirtualService == (ObjectRef{}); empty != tc.logoutVSEmpty {
				t.Errorf("logout.virtualService = %+v", c.Spec.Logout.VirtualService)
			}
			if tc.in.API == GatewayAPI {
				if errs := Validate(withMeta(c)); len(errs) > 0 {
					t.Errorf("defaults are invalid: %v", errs)
				}
			}
		})
	}
}

func withMeta(c AuthConfig) AuthConfig {
	c.APIVersion, c.Kind, c.Metadata.Name = APIVersion, Kind, "kubeflow"
	return c
}

func TestValidateGatewayAPI(t *testing.T) {
	for name, tc := range map[string]struct {
		c         AuthConfig
		path, msg string
	}{
		"unknown api": {c: func() AuthConfig { c := valid(); c.Spec.Gateway.API = "k8s"; return c }(),
			path: "spec.gateway.api", msg: "must be istio"},
		"classic with a Kubernetes Gateway's pod label": {c: func() AuthConfig {
			c := valid()
			c.Spec.Gateway.Selector = map[string]string{GatewayNameLabel: "kubeflow-gateway"}
			return c
		}(), path: "spec.gateway.selector." + GatewayNameLabel, msg: "set spec.gateway.api: gateway-api"},
		"cross-namespace Gateway": {c: gatewayAPIConfig(Gateway{Namespace: "istio-system", Name: "kubeflow/kubeflow-gateway"}),
			path: "spec.gateway.name", msg: "Istio applies targetRefs only to a Gateway in the policy's own namespace"},
		"selector without the gateway-name label": {c: gatewayAPIConfig(Gateway{Selector: map[string]string{"app": "istio-ingressgateway"}}),
			path: "spec.gateway.selector", msg: "must carry gateway.networking.k8s.io/gateway-name: kubeflow-gateway"},
		"selector naming another Gateway": {c: gatewayAPIConfig(Gateway{Selector: map[string]string{GatewayNameLabel: "other"}}),
			path: "spec.gateway.selector", msg: "must carry gateway.networking.k8s.io/gateway-name: kubeflow-gateway"},
		"logout VirtualService": {c: func() AuthConfig {
			c := gatewayAPIConfig(Gateway{})
			c.Spec.Logout.VirtualService = ObjectRef{Namespace: "kubeflow", Name: "centraldashboard"}
			return c
		}(), path: "spec.logout.virtualService", msg: "is for spec.gateway.api: istio"},
		"large-token VirtualServices": {c: func() AuthConfig {
			c := gatewayAPIConfig(Gateway{})
			c.Spec.OIDC.LargeTokens = &LargeTokens{StripCookieRoutes: []ObjectRef{{Namespace: "kubeflow", Name: "metadata-grpc"}}}
			return c
		}(), path: "spec.oidc.largeTokens.stripCookieRoutes", msg: "patches VirtualServices"},
	} {
		t.Run(name, func(t *testing.T) {
			errs := Validate(withMeta(tc.c))
			for _, e := range errs {
				if e.Path == tc.path && strings.Contains(e.Message, tc.msg) {
					return
				}
			}
			t.Errorf("want %s: ...%s...; got:\n%v", tc.path, tc.msg, errs)
		})
	}
}
