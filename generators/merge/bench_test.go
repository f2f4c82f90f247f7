package merge

import (
	"os"
	"testing"
)

// The merge benchmarks run on the configs kubeflow/manifests ships (the
// generators' baselines): Istio's mesh config and Dex's config.yaml.

func benchFile(b *testing.B, path string) string {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

// BenchmarkMeshMerge merges the oauth2-proxy ext_authz provider into the mesh config.
func BenchmarkMeshMerge(b *testing.B) {
	mesh := benchFile(b, "../baseline/mesh.yaml")
	provider := node(b, `name: oauth2-proxy
envoyExtAuthzHttp:
  service: oauth2-proxy.oauth2-proxy.svc.cluster.local
  port: 80
  timeout: 5s
  includeRequestHeadersInCheck: [authorization, cookie]
  headersToUpstreamOnAllow: [authorization, path, x-auth-request-email, x-auth-request-groups]
  headersToDownstreamOnDeny: [content-type, set-cookie]
`)
	b.SetBytes(int64(len(mesh)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtensionProvider(mesh, "oauth2-proxy", provider); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDexMerge merges oauth2-proxy's static client into Dex's config.
func BenchmarkDexMerge(b *testing.B) {
	cfg := benchFile(b, "../baseline/dex-config.yaml")
	clients := []DexClient{{ID: "oauth2-proxy", Client: node(b, `id: oauth2-proxy
name: oauth2-proxy
redirectURIs: [https://kubeflow.example.com/oauth2/callback]
secretEnv: OAUTH2_PROXY_CLIENT_SECRET
`)}}
	settings := DexSettings{Issuer: "http://dex.auth.svc.cluster.local:5556/dex"}
	b.SetBytes(int64(len(cfg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DexConfig(cfg, clients, settings); err != nil {
			b.Fatal(err)
		}
	}
}
