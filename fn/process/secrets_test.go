package process_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/cli"
	"meshauth.dev/meshauth/fn/process"
)

// Secret values with nothing in common with anything the function writes.
var secretValues = []string{
	"kf-oidc-client-secret-7Qm2ZxWv",    // Kubeflow's dex-oidc-client OIDC_CLIENT_SECRET
	"o2p-client-secret-Hq81LpTz",        // oauth2-proxy client-secret
	"o2p-cookie-secret-c9Vr3NbKy0Ue4Jd", // oauth2-proxy cookie-secret
	"redis-pw-Xk42mQ",                   // a Redis password written into the AuthConfig
}

func secretsPackage() string {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return `apiVersion: v1
kind: Secret
metadata:
  name: dex-oidc-client
  namespace: auth
type: Opaque
data:
  OIDC_CLIENT_ID: ` + b64("kubeflow-oidc-authservice") + `
  OIDC_CLIENT_SECRET: ` + b64(secretValues[0]) + `
---
apiVersion: v1
kind: Secret
metadata:
  name: oauth2-proxy
  namespace: oauth2-proxy
type: Opaque
stringData:
  client-secret: ` + secretValues[1] + `
  cookie-secret: ` + secretValues[2] + `
---
apiVersion: v1
kind: Secret
metadata:
  name: oauth2-proxy-client
  namespace: auth
data:
  client-secret: ` + b64(secretValues[1]) + `
`
}

// leaks lists the secret values (plain or base64) found in s.
func leaks(s string) []string {
	var found []string
	for _, v := range secretValues {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawStdEncoding.EncodeToString([]byte(v))} {
			if strings.Contains(s, form) {
				found = append(found, form)
			}
		}
	}
	return found
}

// TestNoSecretInOutput renders packages holding real-looking Secrets in both
// modes and through the CLI: no emitted object other than the Secrets
// themselves, no annotation, result or stderr line carries a secret value,
// and the Secrets pass through untouched.
func TestNoSecretInOutput(t *testing.T) {
	pkg, err := os.ReadFile(filepath.Join(casesDir, "kubeflow-package", "resources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	valid := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata:\n  name: kubeflow\nspec:\n  publicURL: https://kubeflow.example.com\n" +
		"  oauth2Proxy:\n    sessionStore:\n      type: redis\n      redis:\n        address: redis://redis.oauth2-proxy.svc.cluster.local:6379\n        passwordSecretRef: {name: oauth2-proxy, key: redis-password}\n"
	invalid := strings.Replace(valid, "redis://redis.", "redis://:"+secretValues[3]+"@redis.", 1)
	type scenario struct {
		authConfig string
		wantOK     bool
	}
	for name, sc := range map[string]scenario{
		"valid":                      {authConfig: valid, wantOK: true},
		"invalid, password in a URL": {authConfig: invalid, wantOK: false},
	} {
		for _, mode := range []process.Mode{process.Components, process.Resources} {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				rl, ok := fuzzInput([]byte(sc.authConfig), append(append(pkg, "---\n"...), secretsPackage()...), mode)
				if !ok {
					t.Fatal("input does not parse")
				}
				secretsBefore := secretTexts(rl.Items)
				if len(secretsBefore) != 3 {
					t.Fatalf("want 3 Secrets in the package, got %d", len(secretsBefore))
				}
				done, err := (process.Processor{}).Process(rl)
				if err != nil || done != sc.wantOK {
					t.Fatalf("Process = %v, %v; want ok %v; results:\n%v", done, err, sc.wantOK, rl.Results)
				}
				checkNoLeak(t, rl)
				if got := secretTexts(rl.Items); strings.Join(got, "---\n") != strings.Join(secretsBefore, "---\n") {
					t.Errorf("the Secrets changed:\n%s", strings.Join(got, "---\n"))
				}
				// Through the CLI: the same list on stdin.
				fresh, _ := fuzzInput([]byte(sc.authConfig), append(append(pkg, "---\n"...), secretsPackage()...), mode)
				in, err := fresh.ToYAML()
				if err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				code := cli.Main(nil, bytes.NewReader(in), &stdout, &stderr)
				if (code == 0) != sc.wantOK {
					t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
				}
				if l := leaks(stderr.String()); len(l) > 0 {
					t.Errorf("stderr carries secret values %q:\n%s", l, stderr.String())
				}
				out, err := fn.ParseResourceList(stdout.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				checkNoLeak(t, out)
			})
		}
	}
	// render and validate of the invalid AuthConfig print no secret either.
	file := filepath.Join(t.TempDir(), "authconfig.yaml")
	if err := os.WriteFile(file, []byte(invalid), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"render", "-f", file, "-o", t.TempDir()}, {"validate", "-f", file}} {
		var stdout, stderr bytes.Buffer
		if code := cli.Main(args, nil, &stdout, &stderr); code != 1 {
			t.Errorf("%s: exit %d, want 1", args[0], code)
		}
		if l := leaks(stdout.String() + stderr.String()); len(l) > 0 {
			t.Errorf("%s prints secret values %q:\n%s", args[0], l, stderr.String())
		}
		if !strings.Contains(stderr.String(), "sessionStore.redis.address") {
			t.Errorf("%s does not report the address:\n%s", args[0], stderr.String())
		}
	}
}

// checkNoLeak: no object but the Secrets and the user's AuthConfig, no
// annotation and no result carries a secret value.
func checkNoLeak(t *testing.T, rl *fn.ResourceList) {
	t.Helper()
	for _, it := range rl.Items {
		for k, v := range it.GetAnnotations() {
			if l := leaks(k + v); len(l) > 0 {
				t.Errorf("%s %s: annotation %s carries %q", it.GetKind(), it.GetName(), k, l)
			}
		}
		if it.GetKind() == "Secret" || it.GetKind() == "AuthConfig" {
			continue // the user's own files, passed through as they came
		}
		if l := leaks(it.String()); len(l) > 0 {
			t.Errorf("%s %s/%s carries secret values %q", it.GetKind(), it.GetNamespace(), it.GetName(), l)
		}
	}
	for _, r := range rl.Results {
		if l := leaks(r.String()); len(l) > 0 {
			t.Errorf("result %q carries secret values %q", r.String(), l)
		}
	}
}

func secretTexts(items fn.KubeObjects) []string {
	var out []string
	for _, it := range items {
		if it.GetKind() == "Secret" {
			out = append(out, it.String())
		}
	}
	return out
}
