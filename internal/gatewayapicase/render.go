// Package gatewayapicase is test infrastructure: a golden case's
// AuthConfig moved to the Gateway API mode, as docs/gateway-api.md's
// migration says, and rendered in components mode — what the istiod and
// API-server checks both run every case through. It ships in no binary.
package gatewayapicase

import (
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/process"
)

// Render moves doc (an AuthConfig) to gateway.api: gateway-api and renders
// its components. A case the mode refuses is skipped when every refusal
// names a field and the mode; any other refusal fails the test.
func Render(t testing.TB, doc []byte) (api.AuthConfig, *fn.ResourceList) {
	t.Helper()
	var m map[string]any
	if err := sigsyaml.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	if err := api.MoveToGatewayAPI(m); err != nil {
		t.Fatal(err)
	}
	moved, err := sigsyaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := api.Load(moved)
	if len(errs) > 0 {
		for _, e := range errs {
			if e.Path == "" || !strings.Contains(e.Message, "gateway-api") {
				t.Errorf("refused without a gateway-api reason: %v", e)
			}
		}
		t.Skipf("refused in gateway-api mode: %v", errs)
	}
	cfg, err := fn.ParseKubeObject(moved)
	if err != nil {
		t.Fatal(err)
	}
	rl := &fn.ResourceList{FunctionConfig: cfg}
	if _, err := (process.Processor{Mode: process.Components}).Process(rl); err != nil {
		t.Fatal(err)
	}
	return c, rl
}
