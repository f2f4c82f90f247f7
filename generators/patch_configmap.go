package generators

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// configMapKeyPatch merges meshauth's entries into a document held in one
// key of a ConfigMap (the mesh config, Dex's config.yaml).
type configMapKeyPatch struct {
	target  Target
	key     string
	summary string
	merge   func(doc string) (string, error)
	// baseline is what the key is assumed to hold when the ConfigMap is not
	// visible, and baselineName says where it comes from.
	baseline, baselineName string
}

func (p configMapKeyPatch) Target() Target  { return p.target }
func (p configMapKeyPatch) Summary() string { return p.summary }

func (p configMapKeyPatch) Apply(obj *yaml.RNode) error {
	current := ""
	if v := obj.Field("data"); v != nil {
		if f := v.Value.Field(p.key); f != nil {
			current = f.Value.YNode().Value
		}
	}
	merged, err := p.merge(current)
	if err != nil {
		return fmt.Errorf("%s data[%q]: %w", p.target, p.key, err)
	}
	return obj.PipeE(yaml.LookupCreate(yaml.MappingNode, "data"), yaml.SetField(p.key, blockString(merged)))
}

func (p configMapKeyPatch) Kustomize() (KustomizePatch, error) {
	merged, err := p.merge(p.baseline)
	if err != nil {
		return KustomizePatch{}, fmt.Errorf("baseline %s: %w", p.baselineName, err)
	}
	// A strategic-merge patch that names its target, not a JSON6902 patch with a target
	// selector: kustomize skips a selector that matches nothing without a word, which left
	// a kustomization without this ConfigMap building fine and istiod denying every request.
	smp := Fields("apiVersion", p.target.APIVersion, "kind", p.target.Kind)
	if err := smp.PipeE(yaml.SetField("metadata", Fields("name", p.target.Name, "namespace", p.target.Namespace))); err != nil {
		return KustomizePatch{}, err
	}
	data := yaml.NewMapRNode(nil)
	if err := data.PipeE(yaml.SetField(p.key, blockString(merged))); err != nil {
		return KustomizePatch{}, err
	}
	if err := smp.PipeE(yaml.SetField("data", data)); err != nil {
		return KustomizePatch{}, err
	}
	text, err := smp.String()
	if err != nil {
		return KustomizePatch{}, err
	}
	return KustomizePatch{
		Target:  p.target,
		Patch:   text,
		ByName:  true,
		Assumes: fmt.Sprintf("replaces data[%q] of %s with %s plus meshauth's entries; put the real ConfigMap in the package and re-run the function to merge into it instead", p.key, p.target, p.baselineName),
	}, nil
}

// blockString renders multi-line text as a YAML literal block, which keeps
// nested configuration readable in the output.
func blockString(s string) *yaml.RNode {
	n := yaml.NewStringRNode(s)
	if strings.Contains(s, "\n") && !hasTrailingSpace(s) {
		n.YNode().Style = yaml.LiteralStyle
	}
	return n
}

// hasTrailingSpace reports lines ending in blanks, which a literal block
// cannot carry.
func hasTrailingSpace(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return true
		}
	}
	return false
}

func jsonPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
