package loopback

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// render is authconfig-fn's output for an AuthConfig with spec (YAML,
// indented for its place) over the golden Kubeflow package.
func render(t *testing.T, spec string) Emitted {
	t.Helper()
	pkg, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cases", "kubeflow-package", "resources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ac := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata:\n  name: kubeflow\nspec:\n" + spec
	e, err := Render([]byte(ac), pkg)
	if err != nil {
		t.Fatalf("render:\n%s\n%v", ac, err)
	}
	return e
}

// TestRender: the finished objects by identity, the patched ones in place.
func TestRender(t *testing.T) {
	e := render(t, "  publicURL: https://kubeflow.example.com\n")
	cfg, err := e.ConfigMapKey("auth", "dex", "config.yaml")
	if err != nil || !strings.Contains(cfg, "id: oauth2-proxy") {
		t.Errorf("Dex's config.yaml in resources mode = %v %q, want oauth2-proxy's static client merged in", err, cfg)
	}
	if _, err := e.Workload("oauth2-proxy", "oauth2-proxy", "oauth2-proxy"); err != nil {
		t.Error(err)
	}
	if _, err := e.Get("Deployment", "oauth2-proxy", "check-server"); err == nil || !strings.Contains(err.Error(), "emitted no Deployment oauth2-proxy/check-server") {
		t.Errorf("a check-server with authorizer oauth2-proxy: %v, want none emitted", err)
	}
	if _, err := e.ConfigMapKey("auth", "dex", "nope.yaml"); err == nil {
		t.Error("a key the ConfigMap lacks: no error")
	}
	if _, err := Render([]byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: kubeflow}\nspec: {}\n"), nil); err == nil {
		t.Error("an AuthConfig without publicURL over no package rendered")
	}
}
