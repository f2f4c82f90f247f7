package merge

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func node(t testing.TB, s string) *yaml.RNode {
	t.Helper()
	n, err := yaml.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkMerge checks merge(in) against want, or its error against wantErr,
// and that merging the result again changes nothing.
func checkMerge(t *testing.T, merge func(string) (string, error), in, want, wantErr string) {
	t.Helper()
	got, err := merge(in)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want it to contain %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	checkTwice(t, merge, got)
}

// checkTwice: merging a merge's output again changes nothing.
func checkTwice(t *testing.T, merge func(string) (string, error), out string) {
	t.Helper()
	again, err := merge(out)
	if err != nil || again != out {
		t.Errorf("merging twice is not a no-op (err %v):\n%s", err, cmp.Diff(out, again))
	}
}

// extensionProvider merges provider into a mesh config.
func extensionProvider(t *testing.T, provider string) func(string) (string, error) {
	return func(mesh string) (string, error) {
		return ExtensionProvider(mesh, "oauth2-proxy", node(t, provider))
	}
}

func TestExtensionProvider(t *testing.T) {
	type scenario struct {
		mesh    string
		want    string
		wantErr string
	}
	provider := "name: oauth2-proxy\nenvoyExtAuthzHttp:\n  service: new\n"
	for name, sc := range map[string]scenario{
		"empty mesh gets the provider": {
			mesh: "",
			want: "extensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n",
		},
		"other settings, comments and providers are kept; same name replaced in place": {
			mesh: "# keep me\naccessLogFile: /dev/stdout\nextensionProviders:\n- name: a\n  zipkin: {service: z}\n- name: oauth2-proxy\n  envoyExtAuthzHttp: {service: old}\n- name: b\n  zipkin: {service: y}\ntrustDomain: cluster.local\n",
			want: "# keep me\naccessLogFile: /dev/stdout\nextensionProviders:\n- name: a\n  zipkin: {service: z}\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n- name: b\n  zipkin: {service: y}\ntrustDomain: cluster.local\n",
		},
		"null provider list": {
			mesh: "extensionProviders:\ntrustDomain: x\n",
			want: "extensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\ntrustDomain: x\n",
		},
		"mesh that is not YAML": {mesh: "a: [unclosed", wantErr: "the mesh config is not valid YAML"},
		"mesh that is a list":   {mesh: "- a\n- b\n", wantErr: "must be a YAML mapping, got a list"},
		// Found by FuzzExtensionProvider: TrimSpace took U+2005 for an empty
		// document and replaced it with a mapping.
		"mesh that is a unicode space": {mesh: "\u2005", wantErr: "must be a YAML mapping, got a scalar"},
		"providers not a list":         {mesh: "extensionProviders: {a: b}\n", wantErr: "extensionProviders must be a list"},
		"name taken by a tracing provider": {mesh: "extensionProviders:\n- name: oauth2-proxy\n  zipkin: {service: z}\n",
			wantErr: `the mesh config already has a zipkin extension provider named "oauth2-proxy"; set spec.istio.providerName to another name`},
		// Found by FuzzExtensionProvider: a comment on our entry was dropped
		// by the next merge, so merging twice was not a no-op.
		"comments on our entry are kept": {
			mesh: "extensionProviders:\n# ours\n- name: oauth2-proxy # line\n  envoyExtAuthzHttp: {service: old}\n",
			want: "extensionProviders:\n# ours\n- name: oauth2-proxy # line\n  envoyExtAuthzHttp:\n    service: new\n",
		},
		"grpc flavour of ours is replaced": {
			mesh: "extensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzGrpc: {service: old}\n",
			want: "extensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			checkMerge(t, extensionProvider(t, provider), sc.mesh, sc.want, sc.wantErr)
		})
	}
}

func TestDexConfig(t *testing.T) {
	client := func(id string) DexClient {
		return DexClient{ID: id, Client: node(&testing.T{}, "id: "+id+"\nsecretEnv: X\n")}
	}
	type scenario struct {
		config   string
		clients  []DexClient
		password string
		issuer   string
		want     string
		wantErr  string
	}
	for name, sc := range map[string]scenario{
		"connectors, storage, passwords and other clients are kept": {
			config:  "issuer: http://dex\nstorage: {type: memory}\nconnectors:\n- type: github\n  id: gh\nstaticPasswords:\n- email: a@b\nstaticClients:\n- idEnv: OIDC_CLIENT_ID\n  secretEnv: S\n- id: other\n",
			clients: []DexClient{client("oauth2-proxy")},
			want:    "issuer: http://dex\nstorage: {type: memory}\nconnectors:\n- type: github\n  id: gh\nstaticPasswords:\n- email: a@b\nstaticClients:\n- idEnv: OIDC_CLIENT_ID\n  secretEnv: S\n- id: other\n- id: oauth2-proxy\n  secretEnv: X\n",
		},
		"a client with the same id is replaced in place": {
			config:  "staticClients:\n- id: oauth2-proxy\n  secret: inline-old\n- id: z\n",
			clients: []DexClient{client("oauth2-proxy")},
			want:    "staticClients:\n- id: oauth2-proxy\n  secretEnv: X\n- id: z\n",
		},
		"password connector is set, other oauth2 settings kept": {
			config:   "oauth2:\n  skipApprovalScreen: true\n",
			password: "local",
			want:     "oauth2:\n  skipApprovalScreen: true\n  passwordConnector: local\n",
		},
		"issuer follows the AuthConfig": {
			config: "issuer: http://dex.auth.svc.cluster.local:5556/dex\nstorage: {type: memory}\n",
			issuer: "http://127.0.0.1:5556/dex",
			want:   "issuer: http://127.0.0.1:5556/dex\nstorage: {type: memory}\n",
		},
		"config that is not YAML": {config: "issuer: [", wantErr: "the Dex config is not valid YAML"},
		// Found by FuzzDexConfig: a comment the parser moved onto issuer was
		// dropped by the second merge.
		"comments on replaced settings are kept": {
			config:   "issuer: http://old # ours\noauth2:\n  passwordConnector: x # pw\n",
			issuer:   "http://new",
			password: "local",
			want:     "issuer: http://new # ours\noauth2:\n  passwordConnector: local # pw\n",
		},
		"clients not a list": {config: "staticClients: yes\n", clients: []DexClient{client("a")}, wantErr: "staticClients must be a list"},
	} {
		t.Run(name, func(t *testing.T) {
			merge := func(config string) (string, error) {
				return DexConfig(config, sc.clients, DexSettings{Issuer: sc.issuer, PasswordConnector: sc.password})
			}
			checkMerge(t, merge, sc.config, sc.want, sc.wantErr)
		})
	}
}

// TestFlowNullsStayNull: found by FuzzExtensionProvider; the encoder turned
// the implicit null of {a} or {a: } into ” in settings meshauth does not own.
func TestFlowNullsStayNull(t *testing.T) {
	type scenario struct{ in, want string }
	for name, sc := range map[string]scenario{
		"implicit flow null":   {in: "{a}", want: "{a: null, extensionProviders: [{name: oauth2-proxy, envoyExtAuthzHttp: {service: new}}]}\n"},
		"empty flow value":     {in: "defaultConfig: {proxyMetadata: , x: 1}\n", want: "defaultConfig: {proxyMetadata: null, x: 1}\nextensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n"},
		"block null is kept":   {in: "a:\nb: ~\n", want: "a:\nb: ~\nextensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n"},
		"empty string stays":   {in: "{a: ''}", want: "{a: '', extensionProviders: [{name: oauth2-proxy, envoyExtAuthzHttp: {service: new}}]}\n"},
		"empty key":            {in: "&k : 1\n", want: "&k null: 1\nextensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n"},
		"comment after anchor": {in: "a: &x #c\nb: !t\nc: 1\n", want: "a: &x\nb: !t\nc: 1 #c\nextensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzHttp:\n    service: new\n"},
	} {
		t.Run(name, func(t *testing.T) {
			checkMerge(t, extensionProvider(t, "name: oauth2-proxy\nenvoyExtAuthzHttp:\n  service: new\n"), sc.in, sc.want, "")
		})
	}
}
