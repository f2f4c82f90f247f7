package generators

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Fields builds a mapping from key, value pairs in the order given; a Go
// map would make the output order random.
func Fields(kv ...string) *yaml.RNode {
	n := yaml.NewMapRNode(nil)
	for i := 0; i+1 < len(kv); i += 2 {
		n.YNode().Content = append(n.YNode().Content, yaml.NewStringRNode(kv[i]).YNode(), yaml.NewStringRNode(kv[i+1]).YNode())
	}
	return n
}
