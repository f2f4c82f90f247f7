package generators

import _ "embed"

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
