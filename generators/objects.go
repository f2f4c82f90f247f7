package generators

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// managedBy labels every object meshauth creates, so users can find them.
var managedBy = map[string]string{"app.kubernetes.io/managed-by": "meshauth"}

// fromTyped converts a typed Kubernetes object (apiVersion and kind set) to
// YAML, dropping the zero values the typed structs always carry.
func fromTyped(obj any) (*yaml.RNode, error) {
	m, err := jsonMap(json.Marshal(obj))
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	prune(m)
	return fromMap(m)
}

// prune removes nulls (creationTimestamp: null) and the empty objects typed
// structs emit for unset structs (resources: {}, strategy: {}). An empty
// object that carries meaning (podSelector: {}) must be set after pruning.
func prune(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, val := range x {
			if prune(val) {
				delete(x, k)
			}
		}
		return len(x) == 0
	case []any:
		for _, item := range x {
			prune(item)
		}
	}
	return false
}

// fromMap renders a map to YAML with sorted keys, like kustomize does.
func fromMap(m map[string]any) (*yaml.RNode, error) {
	out, err := sigsyaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	return yaml.Parse(string(out))
}

// protoToMap converts an Istio API message to plain data with Istio's JSON
// (camelCase) field names.
func protoToMap(msg proto.Message) (map[string]any, error) {
	return jsonMap(protojson.Marshal(msg))
}

// jsonMap decodes the JSON object a marshaller returned to plain data.
func jsonMap(js []byte, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// istioObject wraps an Istio spec into a resource.
func istioObject(apiVersion, kind, namespace, name string, spec proto.Message) (*yaml.RNode, error) {
	s, err := protoToMap(spec)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", kind, namespace, name, err)
	}
	return fromMap(map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   meta(namespace, name, nil),
		"spec":       s,
	})
}

func meta(namespace, name string, labels map[string]string) map[string]any {
	l := map[string]any{}
	for k, v := range managedBy {
		l[k] = v
	}
	for k, v := range labels {
		l[k] = v
	}
	m := map[string]any{"name": name, "labels": l}
	if namespace != "" {
		m["namespace"] = namespace
	}
	return m
}

// collect gathers objects and the first error, so generators read as a list.
type collect struct {
	objs []*yaml.RNode
	err  error
}

func (c *collect) add(obj *yaml.RNode, err error) {
	if c.err == nil && err != nil {
		c.err = err
	}
	if err == nil {
		c.objs = append(c.objs, obj)
	}
}
