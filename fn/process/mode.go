package process

import (
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// Mode is how the output reaches the user.
type Mode string

const (
	Components Mode = "components"
	Resources  Mode = "resources"
)

// detectMode tells kustomize from kpt. kustomize hands the function the
// config carrying its config.kubernetes.io/function annotation and never a
// path; kpt gives every object, the function config included, a path.
func detectMode(config *fn.KubeObject) (Mode, error) {
	switch m := config.GetAnnotation(OutputAnnotation); Mode(m) {
	case Components, Resources:
		return Mode(m), nil
	case "":
	default:
		return "", fmt.Errorf("annotation %s must be components or resources, got %q", OutputAnnotation, m)
	}
	underKustomize := config.GetAnnotation(functionAnnotation) != "" || config.GetAnnotation(legacyFunctionAnnot) != ""
	if underKustomize && pathOf(config) == "" {
		return Resources, nil
	}
	return Components, nil
}
