package helmvalues

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

func load(t *testing.T, doc string) api.AuthConfig {
	t.Helper()
	c, errs := api.Load([]byte(doc))
	if len(errs) > 0 {
		t.Fatalf("the AuthConfig does not load: %v", errs)
	}
	return c
}

const minimal = "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: t}\nspec:\n  publicURL: https://kubeflow.example.com\n"

// cases are the golden cases the function accepts, by name.
func cases(t *testing.T) map[string]api.AuthConfig {
	t.Helper()
	files, _ := filepath.Glob("../../testdata/cases/*/authconfig.yaml")
	out := map[string]api.AuthConfig{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if c, errs := api.Load(b); len(errs) == 0 {
			out[filepath.Base(filepath.Dir(f))] = c
		}
	}
	if len(out) < 8 {
		t.Fatalf("only %d golden cases load", len(out))
	}
	return out
}

// A literal secret value in a values file: a key named like a secret with a
// scalar that is not a reference. existingSecret, secretKeyRef, secretEnv,
// hashFromEnv and the chart's requiredSecretKeys list are references.
var secretKey = regexp.MustCompile(`(?i)^(clientSecret|cookieSecret|password|secret|hash|bindPW|token)$`)

func literalSecrets(n *yaml.Node, path string, found *[]string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			literalSecrets(c, path+"[]", found)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if secretKey.MatchString(k) && v.Kind == yaml.ScalarNode && v.Value != "" && !envRef.MatchString(v.Value) {
				*found = append(*found, path+"."+k)
			}
			literalSecrets(v, path+"."+k, found)
		}
	}
}

func TestEveryCaseRendersDeterministicallyWithoutSecrets(t *testing.T) {
	for name, c := range cases(t) {
		t.Run(name, func(t *testing.T) {
			out, err := Render(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Render(c, Options{})
			for f, text := range out.Files {
				if again.Files[f] != text {
					t.Errorf("%s differs between two renders", f)
				}
				if !strings.HasSuffix(f, ".yaml") {
					continue
				}
				for _, doc := range strings.Split(text, "\n---\n") {
					n, err := yaml.Parse(doc)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					var found []string
					literalSecrets(n.YNode(), f, &found)
					if len(found) > 0 {
						t.Errorf("%s carries a literal secret at %v", f, found)
					}
				}
			}
			if _, ok := out.Files[ReadmeFile]; !ok {
				t.Error("no README")
			}
			if (c.Spec.Dex != nil) != (out.Files[DexValuesFile] != "") {
				t.Errorf("spec.dex set: %v, dex values written: %v", c.Spec.Dex != nil, out.Files[DexValuesFile] != "")
			}
			for f := range out.Files {
				if f != ReadmeFile && !strings.Contains(out.Files[ReadmeFile], "`"+f+"`") {
					t.Errorf("README has no line for %s", f)
				}
			}
		})
	}
}

func refusals(t *testing.T, c api.AuthConfig, o Options) string {
	t.Helper()
	_, err := Render(c, o)
	r, ok := err.(Refused)
	if !ok {
		t.Fatalf("want a refusal, got %v", err)
	}
	return r.Error()
}

func TestRefusals(t *testing.T) {
	c := load(t, minimal)
	for _, tc := range []struct {
		name string
		c    api.AuthConfig
		o    Options
		want []string
	}{
		{"unknown oauth2-proxy chart", c, Options{OAuth2ProxyChart: "10.8.0"}, []string{"oauth2-proxy chart: version 10.8.0 is not supported: authconfig-fn writes values for oauth2-proxy 10.7.0 only"}},
		{"unknown dex chart", c, Options{DexChart: "0.23.1"}, []string{"dex chart: version 0.23.1 is not supported"}},
		{"unknown istiod chart", c, Options{IstiodChart: "1.30.2"}, []string{"istiod chart: version 1.30.2 is not supported: authconfig-fn writes values for istiod 1.31.x, 1.0.0 only"}},
		{"digest image", load(t, minimal+"  oauth2Proxy:\n    image: quay.io/oauth2-proxy/oauth2-proxy@sha256:"+strings.Repeat("a", 64)+"\n"), Options{},
			[]string{"oauth2-proxy chart: image.tag: spec.oauth2Proxy.image quay.io/oauth2-proxy/oauth2-proxy@sha256:"}},
		{"literal secrets in the user's Dex values", c, Options{DexValues: []byte("config:\n  connectors:\n  - type: github\n    id: gh\n    name: GitHub\n    config:\n      clientID: x\n      clientSecret: hunter2\n  staticPasswords:\n  - email: a@b.c\n    hash: $2y$10$abc\n    username: a\n")},
			[]string{"dex chart: config.connectors[0].config.clientSecret: holds a literal secret", "dex chart: config.staticPasswords[0].hash: holds a literal secret"}},
		{"config secret not created", c, Options{DexValues: []byte("configSecret:\n  create: false\n  name: mine\nconfig: {}\n")}, []string{"dex chart: configSecret.create: is false"}},
		{"a conflicting fullnameOverride", c, Options{DexValues: []byte("fullnameOverride: my-dex\nconfig: {issuer: x}\n")}, []string{"dex chart: fullnameOverride: your values set my-dex, but the issuer http://dex.auth.svc.cluster.local:5556/dex names Service dex"}},
		{"a misspelled key and an unknown connector in the user's Dex config", c, Options{DexValues: []byte("config:\n  issuer: http://dex.auth.svc.cluster.local:5556/dex\n  storage: {type: memory}\n  web: {http: 0.0.0.0:5556}\n  enablePaswordDB: true\n  connectors:\n  - {type: githubb, id: gh, name: GitHub}\n")},
			[]string{"dex chart: config.enablePaswordDB: unknown field"}},
		{"a misspelled mesh key in the user's istiod values", c, Options{IstiodValues: []byte("meshConfig:\n  accessLogFil: /dev/stdout\n")},
			[]string{"istiod chart: meshConfig"}},
		{"Dex values without Dex", load(t, minimal+"  oidc:\n    provider: keycloak\n    issuerURL: https://kc.example.com/realms/x\n"), Options{DexValues: []byte("config: {}\n")}, []string{"--dex-values: the AuthConfig has no spec.dex"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := refusals(t, tc.c, tc.o)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("refusal\n%s\nlacks %q", got, w)
				}
			}
		})
	}
}

func TestSecretLayoutsOtherThanTheChartsGoToExtraEnv(t *testing.T) {
	c := load(t, minimal+"  oauth2Proxy:\n    clientSecretRef: {name: a, key: client}\n    cookieSecretRef: {name: b, key: cookie}\n")
	out, err := Render(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := out.Files[OAuth2ProxyValuesFile]
	for _, want := range []string{"proxyVarsAsSecrets: false", "requiredSecretKeys: []", "name: OAUTH2_PROXY_CLIENT_SECRET", "key: client\n", "name: a\n", "key: cookie\n", "name: b\n"} {
		if !strings.Contains(v, want) {
			t.Errorf("oauth2-proxy values lack %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "existingSecret") {
		t.Errorf("existingSecret written for a layout the chart cannot read")
	}
}

func TestUserDexValuesKeepTheirConnectorsAndClients(t *testing.T) {
	user := `replicaCount: 2
config:
  issuer: http://dex.auth.svc.cluster.local:5556/dex
  storage: {type: kubernetes, config: {inCluster: true}}
  web: {http: 0.0.0.0:5556}
  connectors:
  - type: github
    id: github
    name: GitHub
    config:
      clientID: abc
      clientSecret: $GITHUB_CLIENT_SECRET
      redirectURI: https://kubeflow.example.com/dex/callback
  staticClients:
  - id: grafana
    name: Grafana
    secretEnv: GRAFANA_SECRET
    redirectURIs: [https://grafana.example.com/login]
envVars:
- name: GITHUB_CLIENT_SECRET
  valueFrom: {secretKeyRef: {name: github, key: secret}}
`
	out, err := Render(load(t, minimal), Options{DexValues: []byte(user)})
	if err != nil {
		t.Fatal(err)
	}
	v := out.Files[DexValuesFile]
	for _, want := range []string{"replicaCount: 2", "id: github", "clientSecret: $GITHUB_CLIENT_SECRET", "id: grafana", "name: GITHUB_CLIENT_SECRET", "id: oauth2-proxy", "secretEnv: OAUTH2_PROXY_CLIENT_SECRET", "name: OAUTH2_PROXY_CLIENT_SECRET", "fullnameOverride: dex"} {
		if !strings.Contains(v, want) {
			t.Errorf("dex values lack %q:\n%s", want, v)
		}
	}
	for _, not := range []string{"dex-passwords", "OIDC_CLIENT_ID"} {
		if strings.Contains(v, not) {
			t.Errorf("dex values carry the Kubeflow baseline (%s) although the user gave their own", not)
		}
	}
}

func TestUserIstiodValuesKeepTheirProviders(t *testing.T) {
	user := "meshConfig:\n  accessLogFile: /dev/stdout\n  extensionProviders:\n  - name: otel\n    opentelemetry: {service: otel.observability.svc.cluster.local, port: 4317}\n  - name: oauth2-proxy\n    envoyExtAuthzHttp: {service: old.example, port: 1}\npilot:\n  env:\n    FOO: bar\n"
	out, err := Render(load(t, minimal), Options{IstiodValues: []byte(user)})
	if err != nil {
		t.Fatal(err)
	}
	v := out.Files[IstiodValuesFile]
	for _, want := range []string{"accessLogFile: /dev/stdout", "name: otel", "service: oauth2-proxy.oauth2-proxy.svc.cluster.local", "FOO: bar", "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL: 1m"} {
		if !strings.Contains(v, want) {
			t.Errorf("istiod values lack %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "old.example") || strings.Count(v, "name: oauth2-proxy") != 1 {
		t.Errorf("the provider of the same name was not replaced:\n%s", v)
	}
}

func TestRevisionedIstiod(t *testing.T) {
	c := load(t, minimal+"  istio:\n    istiod: {deployment: istiod-1-31}\n    mesh: {configMap: {name: istio-1-31}}\n")
	out, err := Render(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Files[IstiodValuesFile], "revision: 1-31") || len(out.Warnings) > 1 {
		t.Errorf("revision not set, or warnings %v:\n%s", out.Warnings, out.Files[IstiodValuesFile])
	}
}

func TestTemplateTextIsEscaped(t *testing.T) {
	if got := escapeTpl(`^/api/{{x}}`); got != `^/api/{{ "{{" }}x}}` {
		t.Errorf("escapeTpl = %s", got)
	}
}
