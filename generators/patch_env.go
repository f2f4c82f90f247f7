package generators

import (
	"fmt"
	"maps"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// envVar is a container environment variable, a literal or a Secret key.
type envVar struct {
	Name, Value           string
	SecretName, SecretKey string
}

func (e envVar) node() *yaml.RNode {
	n := yaml.NewMapRNode(nil)
	_ = n.PipeE(yaml.SetField("name", yaml.NewStringRNode(e.Name)))
	if e.SecretName == "" {
		_ = n.PipeE(yaml.SetField("value", yaml.NewStringRNode(e.Value)))
		return n
	}
	ref := Fields("key", e.SecretKey, "name", e.SecretName)
	from := yaml.NewMapRNode(nil)
	_ = from.PipeE(yaml.SetField("secretKeyRef", ref))
	_ = n.PipeE(yaml.SetField("valueFrom", from))
	return n
}

// envPatch sets environment variables on one container of a Deployment
// (istiod's JWKS refresh interval, Dex's client secrets), and optionally a
// pod-template annotation so a changed value rolls the pods.
type envPatch struct {
	target      Target
	container   string
	env         []envVar
	annotations map[string]string
	summary     string
}

func (p envPatch) Target() Target  { return p.target }
func (p envPatch) Summary() string { return p.summary }

func (p envPatch) Apply(obj *yaml.RNode) error {
	containers, err := obj.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
	if err != nil || containers == nil {
		return fmt.Errorf("%s has no spec.template.spec.containers", p.target)
	}
	c, err := containers.Pipe(yaml.MatchElement("name", p.container))
	if err != nil || c == nil {
		return fmt.Errorf("%s has no container %q; set the container name in the AuthConfig", p.target, p.container)
	}
	envList, err := c.Pipe(yaml.LookupCreate(yaml.SequenceNode, "env"))
	if err != nil {
		return fmt.Errorf("%s container %q: env must be a list", p.target, p.container)
	}
	for _, e := range p.env {
		if err := upsertByName(envList, e.Name, e.node()); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(p.annotations)) {
		if err := obj.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec", "template", "metadata", "annotations"),
			yaml.SetField(k, yaml.NewStringRNode(p.annotations[k]))); err != nil {
			return err
		}
	}
	return nil
}

func (p envPatch) Kustomize() (KustomizePatch, error) {
	env := make([]any, len(p.env))
	for i, e := range p.env {
		var m map[string]any
		if err := e.node().YNode().Decode(&m); err != nil {
			return KustomizePatch{}, err
		}
		env[i] = m
	}
	template := map[string]any{
		"spec": map[string]any{"containers": []any{map[string]any{"name": p.container, "env": env}}},
	}
	if len(p.annotations) > 0 {
		template["metadata"] = map[string]any{"annotations": p.annotations}
	}
	smp, err := fromMap(map[string]any{
		"apiVersion": p.target.APIVersion,
		"kind":       p.target.Kind,
		"metadata":   map[string]any{"name": p.target.Name, "namespace": p.target.Namespace},
		"spec":       map[string]any{"template": template},
	})
	if err != nil {
		return KustomizePatch{}, err
	}
	text, err := smp.String()
	// Named in the patch itself, without a target selector: kustomize then fails on a missing
	// Deployment instead of skipping the patch.
	return KustomizePatch{Target: p.target, Patch: text, ByName: true}, err
}

// upsertByName replaces the list element with the given name or appends.
func upsertByName(list *yaml.RNode, name string, elem *yaml.RNode) error {
	items := list.YNode().Content
	for i, item := range items {
		if n := yaml.NewRNode(item).Field("name"); n != nil && yaml.GetValue(n.Value) == name {
			items[i] = elem.YNode()
			return nil
		}
	}
	list.YNode().Content = append(items, elem.YNode())
	return nil
}
