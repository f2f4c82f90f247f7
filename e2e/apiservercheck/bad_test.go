package apiservercheck

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// functionOnly are the bad inputs of testdata/bad the function refuses and
// the AuthConfig CRD cannot, with the reason no schema can say it. It is an
// assertion, not an allow-list: a case that starts being refused by the CRD
// must leave this list, and a new case the CRD lets through must be added
// here with its reason, or the CRD taught to refuse it (fn/api/schema_rules.go,
// then `make crd`). docs/crd-validation.md shows the same list.
var functionOnly = map[string]string{
	// Cross-field rules against the defaults of absent fields: written as
	// CEL over optional chains, the API server's cost estimator cannot bound
	// them and refuses the CRD (fn/api/schema_rules.go).
	"08-open-redirect-logout":              "cross-field (logout redirect host vs publicURL): a CEL rule over defaults exceeds the API server's cost budget",
	"09-open-redirect-scheme-relative":     "cross-field (logout redirect host vs publicURL): a CEL rule over defaults exceeds the API server's cost budget",
	"14-same-identity-headers":             "cross-field (user vs groups header, defaulted): a CEL rule over defaults exceeds the API server's cost budget",
	"18-cookie-domain-mismatch":            "cross-field (cookie domains vs publicURL host): a CEL rule over defaults exceeds the API server's cost budget",
	"21-issuer-mismatch":                   "cross-field (Dex vs oidc issuer): a CEL rule over defaults exceeds the API server's cost budget",
	"27-prefix-without-check-server":       "cross-field (prefix vs the defaulted authorizer): a CEL rule over defaults exceeds the API server's cost budget",
	"73-access-rules-unenforceable":        "cross-rule (order and prefixes across rules, machine issuers vs the defaulted login issuer, hosts vs the derived cookie domain): not written as CEL; the function refuses it",
	"in-cluster-issuer-without-jwks-proxy": "cross-field (machine issuer vs the defaulted authorizer and Dex): a CEL rule over defaults exceeds the API server's cost budget",
	"31-huge":                              "the function's 1 MiB input limit; the API server takes requests up to 3 MiB",
	"40-function-config-other-kind":        "no AuthConfig in it: the function config is another function's",
	"41-two-authconfigs":                   "each AuthConfig is valid; two in one package without a function config is a package-level ambiguity",
	"62-two-authconfigs-in-a-file":         "two AuthConfigs in one stream: the API server sees each object alone",
	"65-two-authconfigs-kustomize":         "two AuthConfigs in one kustomize build: the API server sees each object alone",
	"66-two-authconfigs-kpt-render":        "two AuthConfigs in one kpt package: the API server sees each object alone",
	"68-resources-mode-without-istio":      "the patch targets (mesh ConfigMap, istiod, Dex, dashboard) missing from the stream: other objects",
	"42-no-authconfig":                     "no AuthConfig in it",
	"43-empty-list":                        "no AuthConfig in it",
	"44-components-dir-escape":             "an annotation (meshauth.dev/components-dir): a CRD cannot constrain metadata.annotations",
	"45-bad-output-annotation":             "an annotation (meshauth.dev/output): a CRD cannot constrain metadata.annotations",
	"46-provider-name-collision":           "a clash with the mesh config in the package (another object)",
	"47-mesh-not-yaml":                     "the mesh config in the package (another object) is not YAML",
	"48-dex-config-not-yaml":               "Dex's config in the package (another object) is not YAML",
	"49-dex-deployment-no-container":       "Dex's Deployment in the package (another object) lacks the container",
	"50-mesh-providers-not-a-list":         "the mesh config in the package (another object) is malformed",
	"51-dex-clients-not-a-list":            "Dex's config in the package (another object) is malformed",
}

// extraBad are refused AuthConfigs that are not in testdata/bad: the
// golden cases the function refuses, and the in-cluster issuer that nobody
// in the generated stack could fetch keys for.
var extraBad = map[string]string{
	"case-invalid-many":          repo + "/testdata/cases/invalid-many/authconfig.yaml",
	"case-invalid-unknown-field": repo + "/testdata/cases/invalid-unknown-field/authconfig.yaml",
}

const inClusterWithoutProxy = `apiVersion: meshauth.dev/v1alpha1
kind: AuthConfig
metadata:
  name: bad
spec:
  publicURL: https://kubeflow.example.com
  machineIssuers:
  - issuer: https://kubernetes.default.svc.cluster.local
`

// TestCRDRefusesBadInputs sends every AuthConfig of the bad-input catalogue
// to the API server (a dry-run create of the file's bytes, strict field
// validation) and compares the verdict with the function's.
func TestCRDRefusesBadInputs(t *testing.T) {
	s, ctx := server(t)
	const ns = "meshauth-bad"
	if err := s.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(repo, "testdata/bad/*.yaml"))
	if len(files) < 30 {
		t.Fatalf("only %d bad inputs found", len(files))
	}
	inputs := map[string][][]byte{}
	lists := map[string]bool{} // ResourceList cases: the function judges the package
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "31-huge") {
			// As the catalogue runs it: padded over the function's 1 MiB limit.
			data = append(data, append([]byte("\n#"), bytes.Repeat([]byte("x"), 1<<20+1)...)...)
		}
		inputs[name] = authConfigs(data)
		lists[name] = isResourceListDoc(data)
	}
	for name, f := range extraBad {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = [][]byte{data}
	}
	inputs["in-cluster-issuer-without-jwks-proxy"] = [][]byte{[]byte(inClusterWithoutProxy)}

	var names []string
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var report []string
	for _, name := range names {
		docs := inputs[name]
		reason, known := functionOnly[name]
		if len(docs) == 0 {
			// A package-level refusal (no AuthConfig in the file, or one
			// the function reads only with the rest of the package).
			if !known {
				t.Errorf("%s holds no AuthConfig: add it to functionOnly with the reason", name)
			}
			report = append(report, name+": function only: "+reason)
			continue
		}
		var accepted, refused []string
		for _, d := range docs {
			if !lists[name] && functionAccepts(d) {
				t.Errorf("%s: the function accepts it; it is not a bad input", name)
			}
			_, err := s.Do(ctx, http.MethodPost, "/apis/meshauth.dev/v1alpha1/namespaces/"+ns+"/authconfigs?dryRun=All&fieldValidation=Strict", "application/yaml", d)
			if err != nil {
				refused = append(refused, err.Error())
			} else {
				accepted = append(accepted, "accepted")
			}
		}
		switch {
		case len(accepted) > 0 && !known:
			t.Errorf("%s: the function refuses it but the AuthConfig CRD accepts it: make the CRD refuse it (fn/api/schema_rules.go, make crd) or add it to functionOnly with the reason", name)
		case len(accepted) == 0 && known:
			t.Errorf("%s: the CRD refuses it now (%s): remove it from functionOnly", name, clip(strings.Join(refused, "; ")))
		case known:
			report = append(report, name+": function only: "+reason)
		default:
			report = append(report, name+": refused by the CRD: "+clip(strings.Join(refused, "; ")))
		}
	}
	t.Logf("bad inputs against the AuthConfig CRD (%d):\n%s", len(report), strings.Join(report, "\n"))
}

// authConfigs are the AuthConfig documents of a bad input: the file
// itself, or for a ResourceList its AuthConfig items and function config.
func authConfigs(data []byte) [][]byte {
	if !isResourceListDoc(data) {
		return [][]byte{data}
	}
	var rl struct {
		Items          []map[string]any `json:"items"`
		FunctionConfig map[string]any   `json:"functionConfig"`
	}
	if yaml.Unmarshal(data, &rl) != nil {
		return [][]byte{data}
	}
	var out [][]byte
	for _, o := range append(rl.Items, rl.FunctionConfig) {
		if o["kind"] == "AuthConfig" {
			b, _ := yaml.Marshal(o)
			out = append(out, b)
		}
	}
	return out
}

func isResourceListDoc(data []byte) bool {
	var head struct {
		Kind string `json:"kind"`
	}
	return yaml.Unmarshal(data, &head) == nil && head.Kind == "ResourceList"
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		return s[:240] + "…"
	}
	return s
}
