package process

import (
	"github.com/kptdev/krm-functions-sdk/go/fn"
)

const (
	pathAnnotation         = "config.kubernetes.io/path"
	internalPathAnnotation = "internal.config.kubernetes.io/path"
	indexAnnotation        = "config.kubernetes.io/index"
	internalIndex          = "internal.config.kubernetes.io/index"
	functionAnnotation     = "config.kubernetes.io/function"
	legacyFunctionAnnot    = "config.k8s.io/function"
	localConfigAnnotation  = "config.kubernetes.io/local-config"

	// OutputAnnotation on the AuthConfig forces a mode: components or resources.
	OutputAnnotation = "meshauth.dev/output"
	// ComponentsDirAnnotation on the AuthConfig moves the components folder
	// (relative to the package root; default "components").
	ComponentsDirAnnotation = "meshauth.dev/components-dir"
)

func pathOf(o *fn.KubeObject) string {
	if p := o.GetAnnotation(internalPathAnnotation); p != "" {
		return p
	}
	return o.GetAnnotation(pathAnnotation)
}
