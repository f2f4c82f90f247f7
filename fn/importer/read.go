package importer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/outputcheck"
)

// maxInput bounds what import reads from a file or stdin (kustomize build
// of a whole Kubeflow is ~9 MB).
const maxInput = 64 << 20

// Read reads an install: a directory of manifests (every *.yaml/*.yml under
// it), a file, or "-" for stdin, holding a multi-document stream (kustomize
// build), a kubectl List (kubectl get -o yaml) or a ResourceList.
func Read(path string, stdin io.Reader) ([]*yaml.RNode, error) {
	if path != "-" {
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			objs, err := outputcheck.ReadDir(path)
			if err != nil {
				return nil, err
			}
			return unwrapLists(objs)
		}
	}
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, maxInput+1))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse splits a YAML stream into objects, unwrapping ResourceLists and
// kubectl Lists (kind: List, or any *List kind with items).
func Parse(data []byte) ([]*yaml.RNode, error) {
	if len(data) > maxInput {
		return nil, fmt.Errorf("the input is larger than %d MB; import reads one install's manifests", maxInput>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	objs, err := outputcheck.Parse(data)
	if err != nil {
		return nil, err
	}
	return unwrapLists(objs)
}

func unwrapLists(objs []*yaml.RNode) ([]*yaml.RNode, error) {
	var out []*yaml.RNode
	var errs []string
	for i, o := range objs {
		if o.YNode().Kind != yaml.MappingNode {
			continue // not an object; Import reports nothing for a stray scalar or list
		}
		if msg := malformed(o.YNode()); msg != "" {
			errs = append(errs, fmt.Sprintf("document %d: %s", i+1, msg))
			continue
		}
		kind := o.GetKind()
		if kind == "List" || (len(kind) > 4 && kind[len(kind)-4:] == "List" && o.Field("items") != nil) {
			items := o.Field("items")
			if items == nil || items.Value.YNode().Kind != yaml.SequenceNode {
				continue
			}
			for j, it := range items.Value.YNode().Content {
				if it.Kind != yaml.MappingNode {
					continue
				}
				if msg := malformed(it); msg != "" {
					errs = append(errs, fmt.Sprintf("document %d, items[%d]: %s", i+1, j, msg))
					continue
				}
				out = append(out, yaml.NewRNode(it))
			}
			continue
		}
		out = append(out, o)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// malformed says what is wrong with an object's envelope, which the YAML
// library would otherwise trip over: apiVersion and kind are strings,
// metadata a mapping whose name and namespace are strings and whose labels
// and annotations are mappings.
func malformed(n *yaml.Node) string {
	field := func(m *yaml.Node, key string) *yaml.Node {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i+1]
			}
		}
		return nil
	}
	for _, k := range []string{"apiVersion", "kind"} {
		if v := field(n, k); v != nil && v.Kind != yaml.ScalarNode {
			return k + " must be a string; fix the object"
		}
	}
	md := field(n, "metadata")
	if md == nil {
		return ""
	}
	if md.Kind != yaml.MappingNode {
		return "metadata must be a mapping (name, namespace, labels, annotations); fix the object"
	}
	if len(md.Content)%2 != 0 {
		return "metadata is not a well-formed mapping; fix the object"
	}
	for _, k := range []string{"name", "namespace"} {
		if v := field(md, k); v != nil && v.Kind != yaml.ScalarNode {
			return "metadata." + k + " must be a string; fix the object"
		}
	}
	for _, k := range []string{"labels", "annotations"} {
		if v := field(md, k); v != nil && v.Kind != yaml.MappingNode && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			return "metadata." + k + " must be a mapping of strings; fix the object"
		}
	}
	return ""
}
