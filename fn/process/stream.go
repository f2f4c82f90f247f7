package process

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/generators"
)

// stream is the item list being rewritten. Items the function does not
// touch keep their original KubeObject, so comments and order survive.
type stream struct {
	entries []*entry
}

type entry struct {
	orig *fn.KubeObject
	raw  *rawItem    // an item the fast path copies as bytes (orig and node nil)
	node *yaml.RNode // set when the item is changed or new
}

func newStream(items fn.KubeObjects) *stream {
	s := &stream{}
	for _, it := range items {
		s.entries = append(s.entries, &entry{orig: it})
	}
	return s
}

func (e *entry) rnode() *yaml.RNode {
	if e.node == nil {
		e.node = e.orig.CopyToResourceNode()
	}
	return e.node
}

// find returns the item a patch targets, matched without copying the
// items it passes over (see identity).
func (s *stream) find(t generators.Target) *entry {
	want := identity(t.APIVersion, t.Kind, t.Namespace, t.Name)
	for _, e := range s.entries {
		if e.orig != nil && e.identity() == want {
			return e
		}
	}
	return nil
}

// identity is Identity of the item as it stands, read from the original
// object when it is untouched: copying it (rnode) would mark it changed, and
// changed() would then hand the user's whole package to outputcheck.Objects.
func (e *entry) identity() string {
	if e.node != nil {
		return Identity(e.node)
	}
	if e.raw != nil {
		return e.raw.identity()
	}
	return identity(e.orig.GetAPIVersion(), e.orig.GetKind(), e.orig.GetNamespace(), e.orig.GetName())
}

// upsert replaces the item with n's identity in place, or appends n.
func (s *stream) upsert(n *yaml.RNode) {
	id := Identity(n)
	for _, e := range s.entries {
		if e.identity() == id {
			e.node, e.orig, e.raw = n, nil, nil
			return
		}
	}
	s.entries = append(s.entries, &entry{node: n})
}

// applyPatches patches the visible targets in place and returns the
// patches whose target is not in the stream.
func (s *stream) applyPatches(c generators.Component) (fn.Results, []generators.Patch, error) {
	var results fn.Results
	var unseen []generators.Patch
	for _, p := range c.Patches {
		e := s.find(p.Target())
		if e == nil {
			unseen = append(unseen, p)
			continue
		}
		if err := p.Apply(e.rnode()); err != nil {
			return nil, nil, fmt.Errorf("component %s: %w", c.Name, err)
		}
		where := ""
		if e.orig != nil {
			if f := pathOf(e.orig); f != "" {
				where = " in " + f
			}
		}
		results = append(results, &fn.Result{Severity: fn.Info, Message: fmt.Sprintf("%s: patched %s%s: %s", c.Name, p.Target(), where, p.Summary()), ResourceRef: ref(p.Target())})
	}
	return results, unseen, nil
}

// resources is kustomize's mode: generated resources join the stream.
func (s *stream) resources(comps []generators.Component) (fn.Results, error) {
	// kustomize passes a generator its own config as an item; it is not output.
	var kept []*entry
	for _, e := range s.entries {
		if e.orig == nil || !isAuthConfig(e.orig) || e.orig.GetAnnotation(functionAnnotation) == "" {
			kept = append(kept, e)
		}
	}
	s.entries = kept
	var results fn.Results
	for _, c := range comps {
		for _, r := range c.Resources {
			s.upsert(r.Copy())
		}
		res, unseen, err := s.applyPatches(c)
		if err != nil {
			return nil, err
		}
		results = append(results, res...)
		for _, p := range unseen {
			results = append(results, missingTarget(c, p, Resources, s.held(p.Target())))
		}
	}
	return results, nil
}

// components is kpt's and the CLI's mode: the components become files.
func (s *stream) components(comps []generators.Component, dir, configName string) (fn.Results, error) {
	// The function owns every component folder; its old files go, so a
	// component that is no longer generated disappears too.
	var kept []*entry
	for _, e := range s.entries {
		if !ownedPath(e.path(), dir) {
			kept = append(kept, e)
		}
	}
	s.entries = kept
	inPackage := s.holdsAnyTarget(comps)
	var results fn.Results
	for _, c := range comps {
		res, unseen, err := s.applyPatches(c)
		if err != nil {
			return nil, err
		}
		results = append(results, res...)
		if inPackage && len(unseen) > 0 {
			for _, p := range unseen {
				results = append(results, missingTarget(c, p, Components, s.held(p.Target())))
			}
			continue
		}
		files, kres, err := componentFiles(c, unseen, path.Join(dir, c.Name), configName)
		if err != nil {
			return nil, err
		}
		results = append(results, kres...)
		for _, f := range files {
			s.entries = append(s.entries, &entry{node: f})
		}
		results = append(results, fn.GeneralResult(fmt.Sprintf("%s: wrote %s/ (%d resources, %d patches)", c.Name, path.Join(dir, c.Name), len(c.Resources), len(unseen)), fn.Info))
	}
	return results, nil
}

// held names the input's objects of t's group and kind, "namespace/name",
// sorted (not what the function generated).
func (s *stream) held(t generators.Target) []string {
	// identity is "group|kind|namespace|name".
	groupKind := strings.TrimSuffix(identity(t.APIVersion, t.Kind, "", ""), "|")
	var out []string
	for _, e := range s.entries {
		if e.orig == nil && e.raw == nil {
			continue
		}
		if nsName, ok := strings.CutPrefix(e.identity(), groupKind); ok {
			out = append(out, strings.Replace(nsName, "|", "/", 1))
		}
	}
	sort.Strings(out)
	return out
}

// path is the item's file in the package ("" for new items).
func (e *entry) path() string {
	switch {
	case e.raw != nil:
		return e.raw.path()
	case e.orig != nil:
		return pathOf(e.orig)
	}
	return ""
}

func ownedPath(p, dir string) bool {
	for _, name := range generators.Names {
		if strings.HasPrefix(p, path.Join(dir, name)+"/") {
			return true
		}
	}
	return false
}

// changed returns the items the function created or edited.
func (s *stream) changed() []*yaml.RNode {
	var out []*yaml.RNode
	for _, e := range s.entries {
		if e.node != nil {
			out = append(out, e.node)
		}
	}
	return out
}

// objects is the stream as the SDK's item list: untouched items as they came in.
func (s *stream) objects() fn.KubeObjects {
	out := make(fn.KubeObjects, 0, len(s.entries))
	for _, e := range s.entries {
		if e.node == nil {
			out = append(out, e.orig)
			continue
		}
		out = append(out, fn.NewKubeObjectFromResourceNode(e.node))
	}
	return out
}

func ref(t generators.Target) *fn.ResourceRef {
	return &fn.ResourceRef{APIVersion: t.APIVersion, Kind: t.Kind, Namespace: t.Namespace, Name: t.Name}
}
