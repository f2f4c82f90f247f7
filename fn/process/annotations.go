package process

import (
	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/fn/runtime/runtimeutil"
	"sigs.k8s.io/kustomize/kyaml/kio/filters"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
)

// The orchestrators' annotations are kyaml's; kustomize and kpt still write
// the legacy (deprecated) path and index keys, so both are read and written.
const (
	pathAnnotation         = kioutil.LegacyPathAnnotation
	internalPathAnnotation = kioutil.PathAnnotation
	indexAnnotation        = kioutil.LegacyIndexAnnotation
	internalIndex          = kioutil.IndexAnnotation
	functionAnnotation     = runtimeutil.FunctionAnnotationKey
	// legacyFunctionAnnot is kyaml's unexported oldFunctionAnnotationKey.
	legacyFunctionAnnot   = "config.k8s.io/function"
	localConfigAnnotation = filters.LocalConfigAnnotation
)

const (
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
