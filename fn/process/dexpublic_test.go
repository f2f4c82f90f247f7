package process_test

import (
	"os"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

// TestPublicDexClientMergedIntoVisibleDex: a public extra client merged into
// a Dex config that is in the stream must stay a boolean (`public: true`);
// it once came out as the string "true", which Dex refuses and the output
// validation rejected, so the m2m overlay failed under kustomize and kpt.
func TestPublicDexClientMergedIntoVisibleDex(t *testing.T) {
	res, err := os.ReadFile("../../testdata/cases/kubeflow-package/resources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	items, err := fn.ParseKubeObjects(res)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := fn.ParseKubeObject([]byte(`apiVersion: meshauth.dev/v1alpha1
kind: AuthConfig
metadata: {name: m2m}
spec:
  publicURL: https://kubeflow.example.com
  dex:
    clients:
    - id: pipelines-cli
      public: true
      redirectURIs: [http://localhost:8085/callback]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []process.Mode{process.Resources, process.Components} {
		rl := &fn.ResourceList{Items: items, FunctionConfig: cfg}
		ok, err := process.Processor{Mode: mode}.Process(rl)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v results:\n%v", mode, ok, err, rl.Results)
		}
		out, _ := rl.ToYAML()
		if !strings.Contains(string(out), "public: true") || strings.Contains(string(out), `public: "true"`) {
			t.Errorf("%s: want an unquoted `public: true` in the merged Dex config:\n%s", mode, out)
		}
	}
}
