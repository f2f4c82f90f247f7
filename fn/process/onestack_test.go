package process_test

import (
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

// Under kustomize (function annotation, local-config added by kustomize)
// the function leaves one marked copy of its AuthConfig in the stream; the
// same AuthConfig runs again over it unchanged, another one is refused. kpt
// and forced modes leave no copy.
func TestOneStackPerStream(t *testing.T) {
	dir := "../../testdata/cases/kubeflow-package" // holds every patch target, so resources mode renders
	kustomizeRun := func(rl *fn.ResourceList) (*fn.ResourceList, bool) {
		setAnn(t, rl.FunctionConfig, "config.kubernetes.io/local-config", "true")
		ok, err := process.Processor{}.Process(rl)
		if err != nil {
			t.Fatal(err)
		}
		return rl, ok
	}
	marks := func(items fn.KubeObjects) int {
		n := 0
		for _, it := range items {
			if it.GetKind() == "AuthConfig" && it.GetAnnotation("meshauth.dev/rendered-stack") == "true" {
				n++
			}
		}
		return n
	}
	first, ok := kustomizeRun(caseInput(t, dir, process.Resources))
	if !ok || marks(first.Items) != 1 {
		t.Fatalf("first run: ok=%v, %d marked AuthConfigs, want 1; results %v", ok, marks(first.Items), first.Results)
	}

	again := caseInput(t, dir, process.Resources)
	again.Items = first.Items
	if rl, ok := kustomizeRun(again); !ok || marks(rl.Items) != 1 {
		t.Fatalf("the same AuthConfig again: ok=%v, %d marks, results %v", ok, marks(rl.Items), rl.Results)
	}

	other := caseInput(t, dir, process.Resources)
	setName(t, other.FunctionConfig, "staging")
	other.Items = first.Items
	rl, ok := kustomizeRun(other)
	if ok || len(rl.Results) != 1 || !strings.Contains(rl.Results[0].Message, `the stream holds 2 AuthConfigs ("staging" (the function config), "kubeflow" (rendered earlier in this kustomize build))`) {
		t.Fatalf("a second AuthConfig: ok=%v, results %v", ok, rl.Results)
	}

	for _, mode := range []process.Mode{process.Components, process.Resources} {
		rl := caseInput(t, dir, mode) // no local-config: not kustomize
		if ok, _ := (process.Processor{Mode: mode}).Process(rl); !ok || marks(rl.Items) != 0 {
			t.Errorf("%s without kustomize: ok=%v, %d marks, want none", mode, ok, marks(rl.Items))
		}
	}
}

func setName(t *testing.T, o *fn.KubeObject, name string) {
	t.Helper()
	if err := o.SetName(name); err != nil {
		t.Fatal(err)
	}
}
