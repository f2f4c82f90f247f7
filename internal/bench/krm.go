package bench

import (
	"bytes"
	"fmt"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Package is a parsed multi-document YAML package (the Kubeflow corpus).
type Package struct {
	Name  string // file name the objects are said to come from
	Nodes []*yaml.RNode
	Bytes int // size of the source file
}

// ParsePackage reads a multi-document YAML file into nodes, without reader
// annotations.
func ParsePackage(name string, data []byte) (*Package, error) {
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	return &Package{Name: name, Nodes: nodes, Bytes: len(data)}, nil
}

// NewResourceList renders the ResourceList kpt would send for a package made of
// `copies` copies of p (copy k lives in folder copy-k/, so every item has
// its own kpt-style path and index annotations), the AuthConfig as an item
// (authconfig.yaml) and as the function config.
func NewResourceList(p *Package, authConfig []byte, copies int) ([]byte, int, error) {
	cfg, err := yaml.Parse(string(authConfig))
	if err != nil {
		return nil, 0, fmt.Errorf("parsing the AuthConfig: %w", err)
	}
	var items []*yaml.RNode
	cfgItem := cfg.Copy()
	if err := setPathAnnotations(cfgItem, "authconfig.yaml", 0); err != nil {
		return nil, 0, err
	}
	items = append(items, cfgItem)
	for k := 1; k <= copies; k++ {
		file := fmt.Sprintf("copy-%02d/%s", k, p.Name)
		for i, n := range p.Nodes {
			c := n.Copy()
			if err := setPathAnnotations(c, file, i); err != nil {
				return nil, 0, err
			}
			items = append(items, c)
		}
	}
	var buf bytes.Buffer
	w := kio.ByteWriter{
		Writer:                &buf,
		WrappingKind:          kio.ResourceListKind,
		WrappingAPIVersion:    kio.ResourceListAPIVersion,
		FunctionConfig:        cfg,
		KeepReaderAnnotations: true,
	}
	if err := w.Write(items); err != nil {
		return nil, 0, fmt.Errorf("writing the ResourceList: %w", err)
	}
	return buf.Bytes(), len(items), nil
}

func setPathAnnotations(n *yaml.RNode, file string, index int) error {
	for _, k := range []string{kioutil.PathAnnotation, kioutil.LegacyPathAnnotation} {
		if err := n.PipeE(yaml.SetAnnotation(k, file)); err != nil {
			return err
		}
	}
	for _, k := range []string{kioutil.IndexAnnotation, kioutil.LegacyIndexAnnotation} {
		if err := n.PipeE(yaml.SetAnnotation(k, strconv.Itoa(index))); err != nil {
			return err
		}
	}
	return nil
}
