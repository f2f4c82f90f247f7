package outputcheck

import (
	"strings"

	"google.golang.org/protobuf/proto"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// isMeshConfigMapName is true for istiod's mesh ConfigMap: "istio", or
// "istio-<revision>" for a revisioned control plane. Other istio-* maps
// (istio-sidecar-injector) have no "mesh" key, so the key check suffices.
func isMeshConfigMapName(name string) bool {
	return name == "istio" || strings.HasPrefix(name, "istio-")
}

// meshConfig checks the mesh key of the istio ConfigMap: MeshConfig as YAML
// inside a string. istiod reads it leniently, so a misspelled field in an
// extension provider is dropped without a word and ext_authz never runs.
func (r *run) meshConfig(o *object, field, text string) {
	mc := &meshv1alpha1.MeshConfig{}
	if !r.embeddedProto(o, field, text, mc) {
		return
	}
	r.facts.addMesh(o, field, mc)
}

// embeddedProto parses YAML held in a string and checks it against msg.
func (r *run) embeddedProto(o *object, field, text string, msg proto.Message) bool {
	data, ok := r.embeddedJSON(o, field, text)
	if !ok {
		return false
	}
	if errs := checkProto(data, msg); len(errs) > 0 {
		r.addAll(o, field, errs)
		return false
	}
	return true
}

// embeddedJSON turns YAML held in a ConfigMap string into JSON, reporting
// syntax errors and duplicate keys under field.
func (r *run) embeddedJSON(o *object, field, text string) ([]byte, bool) {
	if strings.TrimSpace(text) == "" {
		return []byte("{}"), true
	}
	n, err := yaml.Parse(text)
	if err != nil {
		r.add(o, field, "invalid YAML: "+err.Error())
		return nil, false
	}
	if dups := duplicateKeys(n.YNode(), ""); len(dups) > 0 {
		r.addAll(o, field, dups)
		return nil, false
	}
	data, err := sigsyaml.YAMLToJSON([]byte(text))
	if err != nil {
		r.add(o, field, "invalid YAML: "+err.Error())
		return nil, false
	}
	return data, true
}
