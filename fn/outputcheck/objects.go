package outputcheck

import (
	"path"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// object is one input object with what every check needs precomputed.
type object struct {
	node                                  *yaml.RNode
	id                                    string // Problem.Object
	group, version, kind, namespace, name string
	json                                  []byte // the object as JSON, as the API server would see it
}

// run collects problems and the facts the cross-object checks need.
type run struct {
	problems []Problem
	facts    facts
	seen     map[string]string // identity -> id, for duplicate objects
}

func (r *run) add(o *object, field, msg string) {
	r.problems = append(r.problems, Problem{Object: o.id, Field: field, Message: msg})
}

func (r *run) addAll(o *object, prefix string, errs []fieldError) {
	for _, e := range errs {
		r.add(o, joinPath(prefix, e.Field), e.Message)
	}
}

// Objects validates objs and returns every problem found, sorted by object,
// field and message. Objects of kinds it does not know are skipped (the list
// is in docs/validation.md). Cross-object checks run only when the objects
// they need are all present.
func Objects(objs []*yaml.RNode) []Problem {
	r := &run{seen: map[string]string{}}
	for _, n := range objs {
		r.object(n)
	}
	r.cross()
	return sortProblems(r.problems)
}

func (r *run) object(n *yaml.RNode) {
	o := newObject(n)
	if n.YNode().Kind != yaml.MappingNode {
		r.add(o, "", "not a YAML mapping")
		return
	}
	if dups := duplicateKeys(n.YNode(), ""); len(dups) > 0 {
		// Decoding a document with duplicate keys would silently pick one
		// value; report the duplicates and check nothing else in it.
		r.addAll(o, "", dups)
		return
	}
	if o.kind == "" || (o.version == "" && !isKustomization(o)) {
		r.add(o, "", "apiVersion and kind are required")
		return
	}
	identity := o.group + "/" + o.kind + "/" + o.namespace + "/" + o.name
	if o.name != "" {
		if _, dup := r.seen[identity]; dup {
			r.add(o, "", "object appears more than once")
		}
		r.seen[identity] = o.id
	}
	j, err := sigsyaml.YAMLToJSON([]byte(n.MustString()))
	if err != nil {
		r.add(o, "", "cannot convert to JSON: "+err.Error())
		return
	}
	o.json = j
	switch {
	case isKustomization(o):
		r.kustomization(o)
	case kubeKinds[gk{o.group, o.kind}] != nil:
		r.kube(o)
	case istioKinds[gk{o.group, o.kind}] != nil:
		r.istio(o)
	}
}

// newObject names the object: "Kind namespace/name", or the file it came
// from when it has no name (kustomization.yaml files usually have none).
func newObject(n *yaml.RNode) *object {
	o := &object{node: n}
	if n.YNode().Kind != yaml.MappingNode {
		o.id = "<document>"
		return o
	}
	apiVersion := n.GetApiVersion()
	o.kind = n.GetKind()
	o.namespace = n.GetNamespace()
	o.name = n.GetName()
	o.group, o.version = resid.ParseGroupVersion(apiVersion)
	file := n.GetAnnotations()[kioutil.PathAnnotation]
	if file == "" {
		file = n.GetAnnotations()[kioutil.LegacyPathAnnotation]
	}
	kind := o.kind
	if kind == "" && isKustomizationFile(file) {
		kind, o.kind, o.group = "Kustomization", "Kustomization", kustomizeGroup
	}
	if kind == "" {
		kind = "<no kind>"
	}
	switch {
	case o.name == "" && file != "":
		o.id = kind + " " + file
	case o.name == "":
		o.id = kind + " <no name>"
	case o.namespace == "":
		o.id = kind + " " + o.name
	default:
		o.id = kind + " " + o.namespace + "/" + o.name
	}
	return o
}

func isKustomizationFile(file string) bool {
	switch path.Base(file) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// gk is an API group and kind; versions are checked per table entry.
type gk struct{ group, kind string }
