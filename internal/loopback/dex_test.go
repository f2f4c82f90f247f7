package loopback

import (
	"slices"
	"strings"
	"testing"
)

// TestDex derives Dex's loopback config and env from what authconfig-fn
// emits (resources mode over the Kubeflow package, whose Dex Deployment
// reads its namespace and Kubeflow's Secrets through envFrom).
func TestDex(t *testing.T) {
	kubeflowEnv := []string{
		"KUBERNETES_POD_NAMESPACE=auth",                                                            // fieldRef metadata.namespace
		"OAUTH2_PROXY_CLIENT_SECRET=" + ClientSecret,                                               // the emitted secretKeyRef
		"DEX_USER_PASSWORD=" + PasswordHash,                                                        // hashFromEnv of Kubeflow's user
		"OIDC_CLIENT_ID=stand-in-oidc_client_id", "OIDC_CLIENT_SECRET=stand-in-oidc_client_secret", // Kubeflow's own client
	}
	secrets := Secrets{"oauth2-proxy-client": {"client-secret": ClientSecret}}
	type scenario struct {
		spec       string
		secrets    Secrets
		groups     []string
		wantEnv    []string
		wantGroups []any  // of the first static user
		wantErr    string // from the Deployment's env
	}
	for name, sc := range map[string]scenario{
		"kubeflow defaults": {
			spec:    "  publicURL: https://kubeflow.example.com\n",
			secrets: secrets,
			wantEnv: kubeflowEnv,
		},
		"test groups for a user without": {
			spec:       "  publicURL: https://kubeflow.example.com\n",
			secrets:    secrets,
			groups:     []string{"e2e-team"},
			wantEnv:    kubeflowEnv,
			wantGroups: []any{"e2e-team"},
		},
		"an extra client's secret from its Secret, not a stand-in": {
			spec:    "  publicURL: https://kubeflow.example.com\n  dex:\n    clients:\n    - id: grafana\n      redirectURIs: [https://grafana.example.com/login/generic_oauth]\n      secretRef: {name: grafana-oidc, key: secret}\n",
			secrets: Secrets{"oauth2-proxy-client": {"client-secret": ClientSecret}, "grafana-oidc": {"secret": "grafana-secret"}},
			wantEnv: append(slices.Clone(kubeflowEnv), "DEX_CLIENT_SECRET_GRAFANA=grafana-secret"),
		},
		"a Secret the stack does not stand in for": {
			spec:    "  publicURL: https://kubeflow.example.com\n",
			secrets: Secrets{},
			wantErr: "reads Secret oauth2-proxy-client key \"client-secret\"",
		},
	} {
		t.Run(name, func(t *testing.T) {
			emitted, w, err := render(t, sc.spec).Program(Source{Namespace: "auth", ConfigMap: "dex", Key: "config.yaml", Deployment: "dex", Container: "dex"})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := DexConfig(emitted, "127.0.0.1:5556", sc.groups...)
			if err != nil {
				t.Fatal(err)
			}
			env, err := w.Env(sc.secrets)
			if sc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), sc.wantErr) {
					t.Fatalf("env = %v, %v; want an error with %q", env, err, sc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := DexEnv(cfg, env)
			if !sameSet(got, sc.wantEnv) {
				t.Errorf("Dex's env =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(sc.wantEnv, "\n  "))
			}
			checkDexOverrides(t, cfg, sc.wantGroups)
		})
	}
}

// checkDexOverrides: the loopback keys changed, the emitted ones kept.
func checkDexOverrides(t *testing.T, cfg map[string]any, wantGroups []any) {
	t.Helper()
	if got := str(cfg, "web", "http"); got != "127.0.0.1:5556" {
		t.Errorf("web.http = %q, want the loopback address", got)
	}
	if s, _ := cfg["storage"].(map[string]any); len(s) != 1 || s["type"] != "memory" {
		t.Errorf("storage = %v, want memory only (the emitted kubernetes config gone)", cfg["storage"])
	}
	if got := str(cfg, "issuer"); got != "http://dex.auth.svc.cluster.local:5556/dex" {
		t.Errorf("issuer = %q, want the emitted one", got)
	}
	if got := str(cfg, "logger", "level"); got != "debug" {
		t.Errorf("logger.level = %q, want Kubeflow's, untouched", got)
	}
	users := list(cfg, "staticPasswords")
	if len(users) == 0 {
		t.Fatal("no static users")
	}
	if g, _ := users[0]["groups"].([]any); !slices.Equal(g, wantGroups) {
		t.Errorf("the user's groups = %v, want %v", users[0]["groups"], wantGroups)
	}
	if u, err := DexUser(cfg); err != nil || u != "user@example.com" {
		t.Errorf("DexUser = %q, %v; want Kubeflow's user@example.com", u, err)
	}
}

// TestDexEdges: what the emitted config may not be, and what env already
// sets wins over a stand-in.
func TestDexEdges(t *testing.T) {
	for name, emitted := range map[string]string{"not YAML": "issuer: [", "empty": ""} {
		if _, err := DexConfig(emitted, "127.0.0.1:1"); err == nil {
			t.Errorf("%s Dex config: no error", name)
		}
	}
	cfg, err := DexConfig("staticPasswords:\n- {email: a@example.com, hashFromEnv: H, groups: [own]}\nstaticClients:\n- {idEnv: ID}\n", "127.0.0.1:1", "e2e-team")
	if err != nil {
		t.Fatal(err)
	}
	if g := list(cfg, "staticPasswords")[0]["groups"]; !slices.Equal(g.([]any), []any{"own"}) {
		t.Errorf("a user's own groups became %v", g)
	}
	if got := DexEnv(cfg, []string{"H=from-the-deployment"}); !sameSet(got, []string{"H=from-the-deployment", "ID=stand-in-id"}) {
		t.Errorf("DexEnv = %v, want the Deployment's H kept and a stand-in for ID", got)
	}
	if _, err := DexUser(map[string]any{"staticPasswords": []any{map[string]any{"username": "no-email"}}}); err == nil {
		t.Error("DexUser without an email: no error")
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
