package generators

import (
	_ "embed"
	"strings"
)

// Baselines: what a patch target is assumed to hold when the function cannot
// see it. See baseline/README.md.
var (
	//go:embed baseline/mesh.yaml
	baselineMesh string
	//go:embed baseline/dex-config.yaml
	baselineDexConfig string
)

const (
	baselineMeshName = "the Istio 1.29 mesh defaults kubeflow/manifests ships"
	baselineDexName  = "the Dex config kubeflow/manifests ships"
)

// meshBaselineFor is the mesh baseline for the control plane the AuthConfig
// names. Istio derives rootNamespace and the proxies' discoveryAddress from
// istiod's namespace and revision (a revisioned istiod's Deployment and
// Service share the name istiod-<rev>), so a baseline that kept
// istio-system would point every sidecar at a control plane that is not there.
func meshBaselineFor(namespace, deployment string) string {
	return strings.NewReplacer(
		"discoveryAddress: istiod.istio-system.svc:", "discoveryAddress: "+deployment+"."+namespace+".svc:",
		"rootNamespace: istio-system", "rootNamespace: "+namespace,
	).Replace(baselineMesh)
}
