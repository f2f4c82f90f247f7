// Package generators turns a defaulted AuthConfig into kustomize components:
// pure functions, no I/O. Each component holds the resources it owns and the
// patches it applies to objects other installs own (Istio, Dex, the dashboard).
package generators

import (
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Component is one kustomize component: components/<Name>/.
type Component struct {
	Name string
	// Doc is one line saying what the component does, written into its
	// kustomization.
	Doc       string
	Resources []*yaml.RNode
	Patches   []Patch
}

// Target identifies an object a patch edits.
type Target struct {
	APIVersion, Kind, Namespace, Name string
}

func (t Target) String() string { return t.Kind + " " + t.Namespace + "/" + t.Name }

// Matches reports whether obj is the target. The API group is compared
// without its version, so networking.istio.io/v1 matches v1beta1.
func (t Target) Matches(obj *yaml.RNode) bool {
	return obj.GetKind() == t.Kind && obj.GetName() == t.Name &&
		obj.GetNamespace() == t.Namespace && group(obj.GetApiVersion()) == group(t.APIVersion)
}

func group(apiVersion string) string {
	g, _ := resid.ParseGroupVersion(apiVersion)
	return g
}

// Patch is a change to an object meshauth does not own.
type Patch interface {
	Target() Target
	// Summary says what the patch changes, for results and the kustomization.
	Summary() string
	// Apply edits a visible target in place. Applying twice equals applying once.
	Apply(target *yaml.RNode) error
	// Kustomize returns the same change as a kustomize patch for a target
	// the function cannot see, and a note on what it assumes of the target.
	Kustomize() (KustomizePatch, error)
}

// KustomizePatch is an inline entry of a kustomization's patches list.
type KustomizePatch struct {
	Target Target
	// Patch is a JSON6902 operation list or a strategic-merge patch, as YAML.
	Patch string
	// Replacement, in place of Patch, is a kustomize replacements entry, for
	// an edit a JSON patch cannot express (every element of a list, which a
	// fieldPath "*" reaches). Its source is Source, a local-config object
	// the component lists as a resource and kustomize drops from its output.
	Replacement *yaml.RNode
	Source      *yaml.RNode
	// ByName: the patch names its target (apiVersion, kind, metadata) and is emitted without a
	// target selector, so kustomize fails when the target is missing instead of skipping it.
	ByName bool
	// Assumes documents what the patch replaces when it was computed against
	// a baseline rather than the real object; empty when nothing is assumed.
	Assumes string
}
