package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderPrintsIstioSnippet: with spec.istio.managedBy: external, `render` writes no mesh or
// istiod patch and prints what to add to the IstioOperator and the istiod Helm values.
func TestRenderPrintsIstioSnippet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "", "render", "-f", "../../testdata/cases/istio-external/authconfig.yaml", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"kind: IstioOperator", "meshConfig:\n    extensionProviders:", "name: oauth2-proxy",
		"istiod Helm chart values", "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL: 1m"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("render's output lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "istiod-jwt-refresh")); err == nil {
		t.Error("components/istiod-jwt-refresh written although istiod is managed elsewhere")
	}
	k, err := os.ReadFile(filepath.Join(out, "istio-external-auth", "kustomization.yaml"))
	if err != nil || strings.Contains(string(k), "patches:") {
		t.Errorf("istio-external-auth must carry no mesh patch (err %v):\n%s", err, k)
	}
}
