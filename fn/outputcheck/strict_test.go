package outputcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStrictDecodeAllowsPatchDirectivesOnly(t *testing.T) {
	patch := `apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  template:
    spec:
      containers:
      - name: discovery
        $patch: merge
        env:
        - {name: PILOT_JWT_PUB_KEY_REFRESH_INTERVAL, value: 1m}
      $setElementOrder/containers:
      - name: discovery
      $retain: x
`
	want := []string{"Deployment istio-system/istiod: spec.template.spec.$retain: unknown field"}
	if diff := cmp.Diff(want, problemsIn(t, patch)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
