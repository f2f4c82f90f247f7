package importer

import (
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/process"
	"meshauth.dev/meshauth/generators"
)

// render runs the function in resources mode, as kustomize would, over the
// install's objects the components patch (the README's "full build"
// layout). A target the install lacks is stood in for by an empty one, so
// the render shows what the AuthConfig writes there; the report lists it
// as missing. The result is meshauth's output: generated objects and the
// patched targets.
func render(c api.AuthConfig, objs []*yaml.RNode) ([]*yaml.RNode, error) {
	comps, err := generators.All(c)
	if err != nil {
		return nil, fmt.Errorf("generating components: %v", err)
	}
	var items fn.KubeObjects
	seen := map[string]bool{}
	for _, comp := range comps {
		for _, p := range comp.Patches {
			t := p.Target()
			key := t.String() + "|" + t.APIVersion
			if seen[key] {
				continue
			}
			seen[key] = true
			n := find(objs, t)
			if n == nil {
				n = stub(t, c)
			} else {
				n = n.Copy()
			}
			ko, err := fn.ParseKubeObject([]byte(n.MustString()))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", t, err)
			}
			items = append(items, ko)
		}
	}
	doc, err := marshal(c)
	if err != nil {
		return nil, err
	}
	cfg, err := fn.ParseKubeObject(doc)
	if err != nil {
		return nil, err
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: cfg}
	ok, err := process.Processor{Mode: process.Resources}.Process(rl)
	if err != nil {
		return nil, err
	}
	if !ok {
		re := &renderError{}
		for _, r := range rl.Results {
			if r.Severity == fn.Error {
				re.messages = append(re.messages, r.Message)
			}
		}
		return nil, re
	}
	var out []*yaml.RNode
	for _, it := range rl.Items {
		if it.GetKind() == api.Kind {
			continue
		}
		out = append(out, it.CopyToResourceNode())
	}
	return out, nil
}

func find(objs []*yaml.RNode, t generators.Target) *yaml.RNode {
	for _, o := range objs {
		if o.YNode().Kind == yaml.MappingNode && t.Matches(o) {
			return o
		}
	}
	return nil
}

// stub is an empty stand-in for a patch target the install lacks.
func stub(t generators.Target, c api.AuthConfig) *yaml.RNode {
	head := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n", t.APIVersion, t.Kind, t.Name, t.Namespace)
	body := ""
	switch t.Kind {
	case "ConfigMap":
		if d := c.Spec.Dex; d != nil && t.Name == d.ConfigMap && t.Namespace == d.Namespace {
			body = "data:\n  config.yaml: |\n    issuer: " + d.IssuerURL + "\n    storage:\n      type: memory\n    web:\n      http: 0.0.0.0:5556\n"
		} else {
			body = "data:\n  mesh: \"\"\n"
		}
	case "Deployment":
		container := "discovery"
		if d := c.Spec.Dex; d != nil && t.Name == d.Deployment && t.Namespace == d.Namespace {
			container = d.Container
		}
		body = "spec:\n  selector:\n    matchLabels:\n      app: " + t.Name + "\n  template:\n    metadata:\n      labels:\n        app: " + t.Name + "\n    spec:\n      containers:\n      - name: " + container + "\n        image: stand-in\n"
	case "VirtualService":
		body = "spec:\n  hosts: ['*']\n  http: []\n"
	}
	return yaml.MustParse(head + body)
}

// renderError is a render the function refused, with its error results.
type renderError struct{ messages []string }

func (e *renderError) Error() string {
	return "rendering the imported AuthConfig failed (an import bug, please report it):\n" + strings.Join(e.messages, "\n")
}
