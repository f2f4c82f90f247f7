package merge

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ExtensionProvider merges provider (a MeshConfig.ExtensionProvider with a
// name) into the mesh config document, replacing a provider of the same
// name and keeping every other setting and provider.
func ExtensionProvider(mesh string, name string, provider *yaml.RNode) (string, error) {
	doc, err := parseDocument("the mesh config", mesh)
	if err != nil {
		return "", err
	}
	if err := checkCollision(doc, name, provider); err != nil {
		return "", err
	}
	if err := upsert(doc, "the mesh config", "extensionProviders", "name", name, provider); err != nil {
		return "", err
	}
	return render(doc)
}

// checkCollision refuses to replace a provider of another kind that happens
// to share the name: meshauth owns an ext_authz provider by that name, not
// somebody's tracing or logging provider.
func checkCollision(doc *yaml.RNode, name string, provider *yaml.RNode) error {
	list := doc.Field("extensionProviders")
	if list == nil || list.Value.YNode().Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range list.Value.YNode().Content {
		n := yaml.NewRNode(item)
		if f := n.Field("name"); f == nil || yaml.GetValue(f.Value) != name {
			continue
		}
		kinds, err := n.Fields()
		if err != nil {
			return err
		}
		for _, kind := range kinds {
			if kind == "name" || provider.Field(kind) != nil {
				continue
			}
			if kind == "envoyExtAuthzHttp" || kind == "envoyExtAuthzGrpc" {
				continue // switching between the two ext_authz flavours is ours to do
			}
			return fmt.Errorf("the mesh config already has a %s extension provider named %q; set spec.istio.providerName to another name", kind, name)
		}
	}
	return nil
}
