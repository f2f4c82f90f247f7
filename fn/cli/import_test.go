package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImport: the command writes the AuthConfig and the report's three
// parts; the AuthConfig it writes renders; bad input is every error at
// once with exit 1 and nothing written.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	out, report := filepath.Join(dir, "authconfig.yaml"), filepath.Join(dir, "report.md")
	code, stdout, stderr := runCLI(t, "", "import", "-f", "../importer/testdata/blog", "-o", out, "-report", report)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	rep, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## 1. Carried over", "## 2. What the AuthConfig will change, and why", "## 3. What cannot be expressed", "mesh provider timeout: 600s (Istio's default, unset) → 10s"} {
		if !strings.Contains(string(rep), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if code, _, stderr := runCLI(t, "", "render", "-f", out, "-o", filepath.Join(dir, "components")); code != 0 {
		t.Errorf("render of the imported AuthConfig: exit %d: %s", code, stderr)
	}

	code, stdout, stderr = runCLI(t, "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: istio, namespace: istio-system}\n  data: {mesh: 'extensionProviders: ['}\n", "import", "-f", "-")
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "error: ConfigMap istio-system/istio: data[mesh]: invalid YAML") {
		t.Errorf("bad input: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "", "import"); code != 1 || !strings.Contains(stderr, "import needs -f INSTALL") {
		t.Errorf("no -f: exit %d, stderr %q", code, stderr)
	}
}
