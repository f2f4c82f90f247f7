package importer

import (
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// obj is one input object with its identity precomputed.
type obj struct {
	node                         *yaml.RNode
	group, kind, namespace, name string
	id                           string
}

func newObj(n *yaml.RNode) *obj {
	g, _ := resid.ParseGroupVersion(n.GetApiVersion())
	o := &obj{node: n, group: g, kind: n.GetKind(), namespace: n.GetNamespace(), name: n.GetName()}
	o.id = objectID(o.kind, o.namespace, o.name)
	return o
}

// decode reads the object into a Kubernetes type, leniently: import reads
// what a cluster would hold, and the output checks are not its job here.
func (o *obj) decode(in *install, v any) bool {
	s, err := o.node.String()
	if err == nil {
		err = sigsyaml.Unmarshal([]byte(s), v)
	}
	if err != nil {
		in.fail(o.id, "", "cannot be read as a "+o.kind+": "+firstLine(err.Error())+"; fix the object's YAML")
		return false
	}
	return true
}

// objects indexes the install by kind.
type objects struct {
	all         []*obj
	configMaps  map[string]*corev1.ConfigMap // "namespace/name"
	cmObj       map[string]*obj
	secrets     map[string]*obj // names only: a Secret's data is never read
	deployments []*deployment
	// csConfigs are ConfigMaps holding a check-server config (not Dex's).
	csConfigs map[string]bool
}

type deployment struct {
	o *obj
	d *appsv1.Deployment
}

func index(in *install, nodes []*yaml.RNode) *objects {
	x := &objects{configMaps: map[string]*corev1.ConfigMap{}, cmObj: map[string]*obj{}, secrets: map[string]*obj{}, csConfigs: map[string]bool{}}
	for _, n := range nodes {
		o := newObj(n)
		x.all = append(x.all, o)
		switch {
		case o.group == "" && o.kind == "ConfigMap":
			var cm corev1.ConfigMap
			if o.decode(in, &cm) {
				x.configMaps[o.namespace+"/"+o.name] = &cm
				x.cmObj[o.namespace+"/"+o.name] = o
			}
		case o.group == "" && o.kind == "Secret":
			x.secrets[o.namespace+"/"+o.name] = o
		case o.group == "apps" && o.kind == "Deployment":
			var d appsv1.Deployment
			if o.decode(in, &d) {
				x.deployments = append(x.deployments, &deployment{o: o, d: &d})
			}
		}
	}
	return x
}

func (x *objects) ofKind(group, kind string) []*obj {
	var out []*obj
	for _, o := range x.all {
		if o.group == group && o.kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// specBytes is the object's spec as YAML ("{}" when it has none).
func specBytes(o *obj) []byte {
	f := o.node.Field("spec")
	if f == nil {
		return []byte("{}")
	}
	s, err := f.Value.String()
	if err != nil {
		return []byte("{}")
	}
	return []byte(s)
}
