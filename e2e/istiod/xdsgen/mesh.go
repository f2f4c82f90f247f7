package xdsgen

import (
	"encoding/json"
	"fmt"

	meshconfig "istio.io/api/mesh/v1alpha1"

	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/validation/agent"
	"istio.io/istio/pkg/util/protomarshal"
)

// parseMesh reads the mesh config the way istiod does (its defaults, then mesh validation) and
// strictly (istiod silently drops misspelled keys, so a typo there would otherwise go unnoticed).
// On an error istiod would refuse the config and keep its defaults: so do we.
func parseMesh(text, ref string) (*meshconfig.MeshConfig, []Message) {
	var msgs []Message
	add := func(sev, format string, args ...any) {
		msgs = append(msgs, Message{Severity: sev, Object: ref, Message: fmt.Sprintf(format, args...)})
	}
	if err := protomarshal.ApplyYAMLStrict(text, &meshconfig.MeshConfig{}); err != nil {
		add(SeverityError, "mesh config (strict parse, unknown keys are errors): %v", err)
	}
	m, err := mesh.ApplyMeshConfigDefaults(text)
	if err != nil {
		add(SeverityError, "mesh config (istiod parse): %v", err)
		return mesh.DefaultMeshConfig(), msgs
	}
	if warn, err := agent.ValidateMeshConfig(m); err != nil {
		add(SeverityError, "mesh config: %v", err)
	} else if warn != nil {
		add(SeverityWarning, "mesh config: %v", warn)
	}
	return m, msgs
}

// meshFromConfigMap returns the mesh text of the istiod ConfigMap, or ok=false when o is not it.
func meshFromConfigMap(o *object, namespace, name, key string) (text string, ok bool, err error) {
	if o.group() != "" || o.Kind != "ConfigMap" || o.Metadata.Namespace != namespace || o.Metadata.Name != name {
		return "", false, nil
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(o.raw, &cm); err != nil {
		return "", true, err
	}
	text, found := cm.Data[key]
	if !found {
		return "", true, fmt.Errorf("has no data key %q: istiod would run on its defaults (no extension providers)", key)
	}
	return text, true, nil
}
