// Package versions pins the upstream programs meshauth configures, in one
// place: the images the function emits by default and the wrapper modules
// under tools/ that `make upstream` builds for the e2e tests.
//
// Keep this package free of dependencies; the function's defaults import it.
// versions_test.go fails when tools/*/go.mod pins a different version.
package versions

const (
	// OAuth2Proxy is the oauth2-proxy release (module
	// github.com/oauth2-proxy/oauth2-proxy/v7 at this version).
	OAuth2Proxy = "v7.15.3"
	// Dex is the Dex release. Dex has no /v2 module path: tools/dex requires
	// github.com/dexidp/dex at DexModuleVersion, the pseudo-version of this tag.
	Dex = "v2.45.1"

	// OAuth2ProxyModule and DexModule are the Go modules built from the proxy.
	OAuth2ProxyModule = "github.com/oauth2-proxy/oauth2-proxy/v7"
	DexModule         = "github.com/dexidp/dex"
	// DexModuleVersion is the commit tagged v2.45.1 (2026-03-03).
	DexModuleVersion = "v0.0.0-20260303133905-11d2eeb52b42"

	// Hydra is Ory Hydra, the second (OpenID-certified) provider of the e2e.
	Hydra       = "v2.3.0"
	HydraModule = "github.com/ory/hydra/v2"

	// KubeAPIServer and Etcd are the real API server the tests start.
	// tools/kube-apiserver pins every staging module to StagingVersion.
	KubeAPIServer       = "v1.37.2"
	KubeAPIServerModule = "k8s.io/kubernetes"
	KubeStagingVersion  = "v0.37.2"
	Etcd                = "v3.6.16"
	EtcdModule          = "go.etcd.io/etcd/server/v3"

	// Istio is the istio.io/istio commit whose istiod code e2e/istiod runs
	// (validation and xDS generation); not a binary the function emits.
	IstioModule        = "istio.io/istio"
	IstioModuleVersion = "v0.0.0-20260827124520-eed52ebb66ad"

	// Helm is the helm CLI the Helm-output tests run (`helm template`
	// only: no cluster), built from HelmModule by tools/helm.
	Helm       = "v4.3.2"
	HelmModule = "helm.sh/helm/v4"

	// The upstream charts `authconfig-fn render --helm` writes values for:
	// the only versions it accepts (any other is an error, not a guess).
	// The oauth2-proxy and Dex charts are vendored unmodified in
	// ../shared/charts; istiod's chart is manifests/charts/istio-control/
	// istio-discovery of istio.io/istio at IstioModuleVersion, whose
	// Chart.yaml says 1.0.0 (istio's release builder stamps the release
	// version; the tree is the 1.31 line, IstioChartLine).
	OAuth2ProxyChart = "10.7.0" // app 7.15.3 = OAuth2Proxy
	DexChart         = "0.24.0" // app 2.44.0; the values set image.tag = Dex
	IstiodChart      = "1.0.0"
	IstioChartLine   = "1.31"

	// GatewayAPI is the Kubernetes Gateway API the function emits HTTPRoutes of
	// (spec.gateway.api: gateway-api): the version that istio module requires, and
	// the CRDs (config/crd/standard) the API-server dry-run installs.
	GatewayAPIModule        = "sigs.k8s.io/gateway-api"
	GatewayAPIModuleVersion = "v1.6.0"
	GatewayAPIGroup         = "gateway.networking.k8s.io"

	// OAuth2ProxyImage and DexImage are the images the function emits by default.
	OAuth2ProxyImage = "quay.io/oauth2-proxy/oauth2-proxy:" + OAuth2Proxy
	DexImage         = "ghcr.io/dexidp/dex:" + Dex

	// Release is meshauth's own version; the check-server image is tagged with it.
	Release = "v0.1.0"
	// CheckServerImage is the default image of the bundled check-server.
	CheckServerImage = "ghcr.io/meshauth/check-server:" + Release
)
