package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestRenderDefaultMatchesCheckedInComponents: components/ is exactly what
// the embedded default renders (make verify checks the same from the shell).
func TestRenderDefaultMatchesCheckedInComponents(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "", "render", "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "oauth2-proxy/\n    configmap-oauth2-proxy.yaml") {
		t.Errorf("render should print the tree it wrote, got:\n%s", stdout)
	}
	want := readTree(t, "../../components")
	if diff := cmp.Diff(want, readTree(t, dir)); diff != "" {
		t.Errorf("render differs from components/ (run make render and review):\n%s", diff)
	}
}

func TestRenderInvalidWritesNothing(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "oauth2-proxy", "kustomization.yaml")
	if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: x}\nspec:\n  publicURL: https://a.example.com\n  authorizer: envoy\n  istio: {extAuthzTimeout: soon}\n"
	code, _, stderr := runCLI(t, bad, "render", "-f", "-", "-o", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		`error: spec.authorizer: must be oauth2-proxy or check-server, got "envoy"`,
		`error: spec.istio.extAuthzTimeout: must be a duration`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := readTree(t, dir); len(got) != 1 || got["oauth2-proxy/kustomization.yaml"] != "old\n" {
		t.Errorf("a failed render changed the output folder: %v", got)
	}
}

func TestValidate(t *testing.T) {
	type scenario struct {
		stdin  string
		args   []string
		code   int
		stdout string
		stderr string
	}
	for name, sc := range map[string]scenario{
		"default is valid": {args: []string{"validate", "-f", "kubeflow.yaml"}, code: 0, stdout: `AuthConfig "kubeflow" is valid`},
		"typo":             {stdin: "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: a}\nspec: {publicUrl: x}\n", args: []string{"validate", "-f", "-"}, code: 1, stderr: `error: spec.publicUrl: unknown field; did you mean "publicURL"?`},
		"no file":          {args: []string{"validate"}, code: 1, stderr: "validate needs -f FILE"},
		"missing file":     {args: []string{"validate", "-f", "nope.yaml"}, code: 1, stderr: "no such file"},
		"output folder":    {args: []string{"validate", "--output", "../../components"}, code: 0, stdout: "emitted objects are valid"},
		"unknown command":  {args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		"help":             {args: []string{"--help"}, code: 0, stdout: "authconfig-fn render"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, sc.stdin, sc.args...)
			if code != sc.code || !strings.Contains(stdout, sc.stdout) || !strings.Contains(stderr, sc.stderr) {
				t.Errorf("exit %d stdout %q stderr %q; want exit %d, stdout ~ %q, stderr ~ %q", code, stdout, stderr, sc.code, sc.stdout, sc.stderr)
			}
		})
	}
}

func TestSchemaIsCheckedIn(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "schema")
	want, err := os.ReadFile("../api/crd/authconfigs.meshauth.dev.yaml")
	if err != nil || code != 0 {
		t.Fatal(code, err)
	}
	if diff := cmp.Diff(string(want), stdout); diff != "" {
		t.Errorf("the checked-in CRD is stale (run make crd):\n%s", diff)
	}
}

// TestKRMFunctionOnStdin: no arguments = a ResourceList on stdin; an
// invalid AuthConfig exits 1 with error results and the items unchanged.
func TestKRMFunctionOnStdin(t *testing.T) {
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: keep, namespace: x} # a comment\n  data: {a: b}\nfunctionConfig:\n  apiVersion: meshauth.dev/v1alpha1\n  kind: AuthConfig\n  metadata: {name: a}\n  spec: {publicURL: ftp://x}\n"
	code, stdout, stderr := runCLI(t, in)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// kustomize shows only stderr: the field-path errors must be there.
	if want := "error: spec.publicURL: "; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	for _, want := range []string{"must be an absolute http(s) URL", "path: spec.publicURL", "name: keep, namespace: x} # a comment"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "components/") {
		t.Errorf("an invalid AuthConfig must produce no components:\n%s", stdout)
	}
	good := strings.Replace(in, "ftp://x", "https://x.example.com", 1)
	code, stdout, _ = runCLI(t, good)
	if code != 0 || !strings.Contains(stdout, "components/oauth2-proxy/deployment-oauth2-proxy.yaml") {
		t.Errorf("exit %d, output:\n%s", code, stdout)
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
