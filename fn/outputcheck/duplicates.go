package outputcheck

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// duplicateKeys reports every mapping key that occurs twice in the same
// mapping. YAML parsers disagree here (last one wins, first one wins, or an
// error), so a duplicate means the object may not say what its author
// thinks; the Kubernetes API server rejects them in strict mode.
func duplicateKeys(n *yaml.Node, path string) []fieldError {
	var out []fieldError
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, duplicateKeys(c, path)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, duplicateKeys(c, path+"["+strconv.Itoa(i)+"]")...)
		}
	case yaml.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := joinPath(path, key)
			if seen[key] {
				out = append(out, fieldError{Field: p, Message: "duplicate field (line " + strconv.Itoa(n.Content[i].Line) + ")"})
			}
			seen[key] = true
			out = append(out, duplicateKeys(n.Content[i+1], p)...)
		}
	}
	return out
}
