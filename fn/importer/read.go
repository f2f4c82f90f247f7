package importer

import (
	"bytes"
	"fmt"
	"io"
	"os"

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
	for _, o := range objs {
		if o.YNode().Kind != yaml.MappingNode {
			continue // not an object; Import reports nothing for a stray scalar or list
		}
		kind := o.GetKind()
		if kind == "List" || (len(kind) > 4 && kind[len(kind)-4:] == "List" && o.Field("items") != nil) {
			items := o.Field("items")
			if items == nil || items.Value.YNode().Kind != yaml.SequenceNode {
				continue
			}
			for _, it := range items.Value.YNode().Content {
				if it.Kind == yaml.MappingNode {
					out = append(out, yaml.NewRNode(it))
				}
			}
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
