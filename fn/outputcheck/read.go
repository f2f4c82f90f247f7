package outputcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Parse splits a multi-document YAML stream into objects. Empty documents
// are dropped; a kpt/kustomize ResourceList is unwrapped into its items, so
// the function's raw stdout can be checked too. Duplicate mapping keys are
// kept in the nodes on purpose: Objects reports them.
func Parse(data []byte) ([]*yaml.RNode, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*yaml.RNode
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", i, err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue
		}
		n := yaml.NewRNode(doc.Content[0])
		if n.YNode().Kind == yaml.MappingNode && n.GetKind() == "ResourceList" {
			items, err := n.Pipe(yaml.Lookup("items"))
			if err != nil {
				return nil, fmt.Errorf("YAML document %d: %w", i, err)
			}
			if items != nil {
				for _, item := range items.Content() {
					out = append(out, yaml.NewRNode(item))
				}
			}
			continue
		}
		out = append(out, n)
	}
}

// ReadDir reads every *.yaml and *.yml file under dir (hidden directories
// such as .expected are skipped) in lexical order, and records each object's
// file in the internal.config.kubernetes.io/path annotation, relative to dir,
// the way kpt does. Documents that are YAML lists are JSON 6902 patch files
// of a component, not objects, and are left out. Objects uses that path to name objects that have no
// metadata.name (kustomization.yaml files).
func ReadDir(dir string) ([]*yaml.RNode, error) {
	var out []*yaml.RNode
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		objs, err := Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.YNode().Kind == yaml.SequenceNode {
				continue // a JSON 6902 patch file, not an object
			}
			if err := o.PipeE(yaml.SetAnnotation(kioutil.PathAnnotation, filepath.ToSlash(rel))); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		for _, o := range objs {
			if o.YNode().Kind != yaml.SequenceNode {
				out = append(out, o)
			}
		}
		return nil
	})
	return out, err
}

// Dir validates every YAML file under dir: ReadDir followed by Objects.
// The error is for files that cannot be read or parsed at all.
func Dir(dir string) ([]Problem, error) {
	objs, err := ReadDir(dir)
	if err != nil {
		return nil, err
	}
	return Objects(objs), nil
}
