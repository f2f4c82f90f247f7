package merge

import "sigs.k8s.io/kustomize/kyaml/yaml"

// ExtensionProvider merges provider (a MeshConfig.ExtensionProvider with a
// name) into the mesh config document, replacing a provider of the same
// name and keeping every other setting and provider.
func ExtensionProvider(mesh string, name string, provider *yaml.RNode) (string, error) {
	doc, err := parseDocument("the mesh config", mesh)
	if err != nil {
		return "", err
	}
	if err := upsert(doc, "the mesh config", "extensionProviders", "name", name, provider); err != nil {
		return "", err
	}
	return render(doc)
}
