package process_test

import (
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

// TestEvalWithoutFnConfig: `kpt fn eval --exec authconfig-fn DIR` (no
// --fn-config) passes an empty ConfigMap named function-input as the function
// config; the AuthConfig in the package must be used, not rejected.
func TestEvalWithoutFnConfig(t *testing.T) {
	const in = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: meshauth.dev/v1alpha1
  kind: AuthConfig
  metadata:
    name: kubeflow
    annotations: {config.kubernetes.io/path: authconfig.yaml, internal.config.kubernetes.io/path: authconfig.yaml}
  spec: {publicURL: https://kubeflow.example.com}
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: function-input}
  data: {}
`
	rl, err := fn.ParseResourceList([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := process.Processor{}.Process(rl)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v results=%v", ok, err, rl.Results)
	}
	out, _ := rl.ToYAML()
	if !strings.Contains(string(out), "components/oauth2-proxy/kustomization.yaml") {
		t.Errorf("no components written:\n%s", out)
	}

	// A ConfigMap with data is a real (wrong) function config: still an error.
	rl, _ = fn.ParseResourceList([]byte(strings.Replace(in, "data: {}", "data: {publicURL: x}", 1)))
	if ok, _ := (process.Processor{}).Process(rl); ok {
		t.Errorf("a ConfigMap with data as the function config must be rejected")
	}
}
