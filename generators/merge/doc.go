// Package merge merges meshauth's entries into configuration documents that
// other programs own and that live as YAML inside a ConfigMap string: Istio's
// mesh config and Dex's config.yaml. A merge replaces only the entry meshauth
// owns (matched by name or id) and keeps every other key, comment and order,
// so running it twice gives the same text as running it once.
package merge

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// parseDocument parses a YAML mapping held in a string; an empty string is an
// empty mapping.
func parseDocument(what, doc string) (*yaml.RNode, error) {
	// Only YAML's own blanks make an empty document: a Unicode space is a
	// string scalar, not nothing.
	if strings.Trim(doc, " \t\r\n") == "" {
		return yaml.NewMapRNode(nil), nil
	}
	node, err := yaml.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %v", what, firstLine(err.Error()))
	}
	if node.YNode().Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s must be a YAML mapping, got a %s", what, kindName(node.YNode().Kind))
	}
	return node, nil
}

// upsert replaces the element of list field whose key field equals value,
// keeping its position, or appends elem when there is none.
func upsert(doc *yaml.RNode, what, listField, key, value string, elem *yaml.RNode) error {
	// "extensionProviders:" with nothing after it is null: an empty list.
	if f := doc.Field(listField); f != nil && (f.Value.YNode().Kind == yaml.ScalarNode && (f.Value.YNode().Tag == yaml.NodeTagNull || f.Value.YNode().Value == "")) {
		if err := doc.PipeE(yaml.SetField(listField, yaml.NewListRNode())); err != nil {
			return err
		}
	}
	list, err := doc.Pipe(yaml.LookupCreate(yaml.SequenceNode, listField))
	if err != nil {
		return fmt.Errorf("%s: %s must be a list: %v", what, listField, err)
	}
	if list.YNode().Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: %s must be a list, got a %s", what, listField, kindName(list.YNode().Kind))
	}
	items := list.YNode().Content
	for i, item := range items {
		if item.Kind != yaml.MappingNode {
			continue
		}
		if v := yaml.NewRNode(item).Field(key); v != nil && yaml.GetValue(v.Value) == value {
			// The replaced entry's comments (and its key's) stay: they
			// belong to the user.
			n := elem.Copy().YNode()
			keepComments(n, item)
			if nk := yaml.NewRNode(n).Field(key); nk != nil {
				keepComments(nk.Key.YNode(), v.Key.YNode())
				keepComments(nk.Value.YNode(), v.Value.YNode())
			}
			items[i] = n
			return nil
		}
	}
	list.YNode().Content = append(items, elem.Copy().YNode())
	return nil
}

// render prints the merged document. It prints until the text is stable, so
// that merging the result again is a no-op: the YAML parser attaches a line
// comment after an empty value with an anchor or tag (a: &x # c) to the next
// line, and would move it once more on every run.
func render(node *yaml.RNode) (string, error) {
	spellNulls(node.YNode(), false)
	out, err := node.String()
	for i := 0; err == nil && i < 5; i++ {
		var again *yaml.RNode
		if again, err = yaml.Parse(out); err != nil {
			break
		}
		spellNulls(again.YNode(), false)
		var next string
		if next, err = again.String(); err == nil && next == out {
			return out, nil
		}
		out = next
	}
	if err != nil {
		return "", fmt.Errorf("the merged document does not print back as YAML: %v", firstLine(err.Error()))
	}
	return "", fmt.Errorf("the merged document does not print stably; simplify its comments around empty values")
}

// spellNulls writes as null the empty nulls the YAML encoder would print as
// ”: in flow collections ({a: } would become {a: ”}) and as keys, turning
// an unset setting of somebody else's config into an empty string.
func spellNulls(n *yaml.Node, flow bool) {
	flow = flow || n.Style&yaml.FlowStyle != 0
	isKey := func(i int) bool { return n.Kind == yaml.MappingNode && i%2 == 0 }
	for i, c := range n.Content {
		if c.Kind == yaml.ScalarNode && c.Value == "" && c.ShortTag() == yaml.NodeTagNull && (flow || isKey(i)) {
			c.Value = "null"
		}
		spellNulls(c, flow)
	}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.MappingNode:
		return "mapping"
	}
	return "document"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// keepComments gives a replacement node the comments of the node it replaces.
func keepComments(to, from *yaml.Node) {
	to.HeadComment, to.LineComment, to.FootComment = from.HeadComment, from.LineComment, from.FootComment
}
