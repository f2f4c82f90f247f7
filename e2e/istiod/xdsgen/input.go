// Package xdsgen runs istiod's own code over a stream of Kubernetes YAML: Istio's CRD schemas with
// their CEL rules and the validating webhook for every Istio object, istiod's mesh-config parse plus a
// strict parse, and istiod's config generation (pilot/test/xds fake discovery server) for one gateway
// proxy. It is the library behind cmd/istiod-xds; see XDS_CONTRACT.md and docs/istiod.md.
package xdsgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// maxDocument bounds one YAML document; a kustomize build of the whole Kubeflow install is far below.
const maxDocument = 16 << 20

// object is one decoded document: its raw JSON and the identity fields every step needs.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	raw []byte
}

// group is the API group of apiVersion ("" for core v1).
func (o *object) group() string {
	if i := strings.LastIndex(o.APIVersion, "/"); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

func (o *object) version() string {
	return o.APIVersion[strings.LastIndex(o.APIVersion, "/")+1:]
}

// ref names the object in messages: "Kind namespace/name".
func (o *object) ref() string {
	if o.Metadata.Namespace == "" {
		return o.Kind + " " + o.Metadata.Name
	}
	return o.Kind + " " + o.Metadata.Namespace + "/" + o.Metadata.Name
}

// readObjects splits a YAML (or JSON) stream into objects; `kind: List` is expanded.
func readObjects(r io.Reader) ([]*object, error) {
	reader := k8syaml.NewYAMLReader(bufio.NewReaderSize(r, 64<<10))
	var out []*object
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(doc) > maxDocument {
			return nil, fmt.Errorf("document %d: larger than %d bytes", i, maxDocument)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue
		}
		objs, err := decodeObject(js)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		out = append(out, objs...)
	}
}

func decodeObject(js []byte) ([]*object, error) {
	o := &object{raw: js}
	if err := json.Unmarshal(js, o); err != nil {
		return nil, fmt.Errorf("not a Kubernetes object: %w", err)
	}
	if o.Kind == "List" && o.group() == "" {
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(js, &list); err != nil {
			return nil, err
		}
		var out []*object
		for _, item := range list.Items {
			objs, err := decodeObject(item)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	if o.APIVersion == "" || o.Kind == "" {
		return nil, errors.New("apiVersion and kind are required")
	}
	return []*object{o}, nil
}
