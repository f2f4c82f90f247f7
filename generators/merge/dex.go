package merge

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// DexClient is a static client to register, keyed by its id.
type DexClient struct {
	ID     string
	Client *yaml.RNode
}

// DexSettings are the Dex settings the AuthConfig decides besides clients.
type DexSettings struct {
	// Issuer is set as Dex's issuer: tokens must carry the issuer that
	// oauth2-proxy and Istio are configured with.
	Issuer string
	// PasswordConnector, when set, enables Dex's password grant for machine
	// clients through oauth2.passwordConnector.
	PasswordConnector string
}

// DexConfig merges static clients into Dex's config.yaml, replacing clients
// with the same id and keeping connectors, storage, staticPasswords and every
// other client, and applies the settings.
func DexConfig(config string, clients []DexClient, settings DexSettings) (string, error) {
	doc, err := parseDocument("the Dex config", config)
	if err != nil {
		return "", err
	}
	if settings.Issuer != "" {
		if err := setString(doc, "issuer", settings.Issuer); err != nil {
			return "", err
		}
	}
	passwordConnector := settings.PasswordConnector
	for _, c := range clients {
		if err := upsert(doc, "the Dex config", "staticClients", "id", c.ID, c.Client); err != nil {
			return "", err
		}
	}
	if passwordConnector != "" {
		oauth2, err := doc.Pipe(yaml.LookupCreate(yaml.MappingNode, "oauth2"))
		if err != nil || oauth2.YNode().Kind != yaml.MappingNode {
			return "", fmt.Errorf("the Dex config: oauth2 must be a mapping")
		}
		if err := setString(oauth2, "passwordConnector", passwordConnector); err != nil {
			return "", err
		}
	}
	return render(doc)
}

// setString sets a string field, keeping the comments of the value it
// replaces, so that merging twice gives the same text.
func setString(m *yaml.RNode, field, value string) error {
	v := yaml.NewStringRNode(value)
	if old := m.Field(field); old != nil {
		o, n := old.Value.YNode(), v.YNode()
		n.HeadComment, n.LineComment, n.FootComment = o.HeadComment, o.LineComment, o.FootComment
	}
	return m.PipeE(yaml.SetField(field, v))
}
