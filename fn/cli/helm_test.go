package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderHelm: render --helm writes the values, the extras and the README;
// a second render of an AuthConfig without Dex into the same folder removes
// the Dex values the first one wrote; an invalid AuthConfig writes nothing
// and says why, as render does.
func TestRenderHelm(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "helm")
	code, stdout, stderr := runCLI(t, "", "render", "--helm", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"README.md", "oauth2-proxy-values.yaml", "dex-values.yaml", "istiod-values.yaml", "meshauth-extras.yaml", "routes/kustomization.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("render --helm wrote no %s", f)
		}
		if !strings.Contains(stdout, filepath.Base(f)) {
			t.Errorf("the printed tree lacks %s:\n%s", f, stdout)
		}
	}
	if strings.Contains(stderr, "components/") {
		t.Errorf("render --helm repeats the components' warnings:\n%s", stderr)
	}

	keycloak := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: kc}\nspec:\n  publicURL: https://kubeflow.example.com\n  oidc: {provider: keycloak, issuerURL: 'https://kc.example.com/realms/x'}\n"
	if code, _, stderr := runCLI(t, keycloak, "render", "-f", "-", "--helm", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dex-values.yaml")); !os.IsNotExist(err) {
		t.Errorf("dex-values.yaml of the earlier render is still there (%v)", err)
	}

	bad := filepath.Join(t.TempDir(), "bad")
	code, _, stderr = runCLI(t, "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: x}\nspec: {publicURL: nope}\n", "render", "-f", "-", "--helm", bad)
	if code != 1 || !strings.Contains(stderr, "spec.publicURL") {
		t.Errorf("exit %d, stderr %q: want 1 naming spec.publicURL", code, stderr)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("an invalid AuthConfig wrote %s", bad)
	}
}
