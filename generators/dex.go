package generators

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators/merge"
)

// DexClientSecretEnv is the env var of Dex's container that holds
// oauth2-proxy's client secret; Dex reads it through secretEnv.
const DexClientSecretEnv = "OAUTH2_PROXY_CLIENT_SECRET"

// DexClients is the dex-clients component: oauth2-proxy's static client and
// any extra clients merged into Dex's config, and their secrets wired into
// Dex's environment. It is nil when an external provider replaces Dex.
func DexClients(c api.AuthConfig) (*Component, error) {
	s := c.Spec
	d := s.Dex
	if d == nil {
		return nil, nil
	}
	clients := []merge.DexClient{{ID: s.OAuth2Proxy.ClientID, Client: dexClient(
		s.OAuth2Proxy.ClientID, "oauth2-proxy", []string{s.OAuth2Proxy.RedirectURL}, DexClientSecretEnv, false)}}
	env := []envVar{{Name: DexClientSecretEnv, SecretName: d.ClientSecretRef.Name, SecretKey: d.ClientSecretRef.Key}}
	for _, extra := range d.Clients {
		secretEnv := ""
		if extra.SecretRef != nil {
			secretEnv = clientSecretEnv(extra.ID)
			env = append(env, envVar{Name: secretEnv, SecretName: extra.SecretRef.Name, SecretKey: extra.SecretRef.Key})
		}
		name := extra.Name
		if name == "" {
			name = extra.ID
		}
		clients = append(clients, merge.DexClient{ID: extra.ID, Client: dexClient(extra.ID, name, extra.RedirectURIs, secretEnv, extra.Public)})
	}
	mergeClients := func(doc string) (string, error) {
		return merge.DexConfig(doc, clients, merge.DexSettings{Issuer: d.IssuerURL, PasswordConnector: d.PasswordConnector})
	}
	// The hash of the merged clients rolls Dex when they change: Dex reads
	// its config only at start.
	merged, err := mergeClients("")
	if err != nil {
		return nil, err
	}
	return &Component{
		Doc: "Dex: oauth2-proxy's static client (and extra clients) merged into Dex's config, secrets from secretKeyRef",
		Patches: []Patch{
			configMapKeyPatch{
				target:       Target{"v1", "ConfigMap", d.Namespace, d.ConfigMap},
				key:          "config.yaml",
				summary:      "sets Dex's issuer and merges the static clients into its config.yaml",
				merge:        mergeClients,
				baseline:     baselineDexConfig,
				baselineName: baselineDexName,
			},
			envPatch{
				target:      Target{"apps/v1", "Deployment", d.Namespace, d.Deployment},
				container:   d.Container,
				env:         env,
				annotations: map[string]string{ConfigHashAnnotation: hash(merged)},
				summary:     "gives Dex the client secrets its static clients read through secretEnv",
			},
		},
	}, nil
}

func dexClient(id, name string, redirects []string, secretEnv string, public bool) *yaml.RNode {
	n := yaml.NewMapRNode(nil)
	_ = n.PipeE(yaml.SetField("id", yaml.NewStringRNode(id)))
	_ = n.PipeE(yaml.SetField("name", yaml.NewStringRNode(name)))
	_ = n.PipeE(yaml.SetField("redirectURIs", yaml.NewListRNode(redirects...)))
	if public {
		_ = n.PipeE(yaml.SetField("public", yaml.NewRNode(&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: "true"})))
	}
	if secretEnv != "" {
		_ = n.PipeE(yaml.SetField("secretEnv", yaml.NewStringRNode(secretEnv)))
	}
	return n
}

// clientSecretEnv names the env var holding an extra client's secret.
func clientSecretEnv(id string) string {
	var b strings.Builder
	b.WriteString("DEX_CLIENT_SECRET_")
	for _, r := range strings.ToUpper(id) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
