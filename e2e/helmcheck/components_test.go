package helmcheck

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/cli"
	"meshauth.dev/meshauth/fn/outputcheck"
)

// components is the kustomize output of the same AuthConfig (the CLI's
// components mode, as `authconfig-fn render -o DIR` writes it): what the
// Helm release must be equivalent to.
type components struct {
	byComponent map[string][]*yaml.RNode // component → its resources
	patches     []*yaml.RNode            // inline strategic-merge patches (the Dex and mesh ConfigMaps, env)
	jsonPatches map[string]string        // "component/kind ns/name" → JSON6902 patch text
}

func renderComponents(t testing.TB, doc []byte) *components {
	t.Helper()
	files, _, err := cli.Render(doc)
	if err != nil {
		t.Fatalf("the components do not render: %v", err)
	}
	c := &components{byComponent: map[string][]*yaml.RNode{}, jsonPatches: map[string]string{}}
	for path, text := range files {
		comp, _, _ := strings.Cut(path, "/")
		objs, err := outputcheck.Parse([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, o := range objs {
			if o.YNode().Kind != yaml.MappingNode {
				continue
			}
			if o.GetKind() != "Component" {
				c.byComponent[comp] = append(c.byComponent[comp], o)
				continue
			}
			ps, _ := o.Pipe(yaml.Lookup("patches"))
			if ps == nil {
				continue
			}
			for _, p := range ps.Content() {
				pn := yaml.NewRNode(p)
				body := yaml.GetValue(pn.Field("patch").Value)
				parsed, err := outputcheck.Parse([]byte(body))
				if err != nil {
					t.Fatalf("%s: a patch: %v", path, err)
				}
				for _, d := range parsed {
					if d.YNode().Kind == yaml.SequenceNode {
						tg := pn.Field("target").Value
						key := comp + "/" + yaml.GetValue(tg.Field("kind").Value) + " " + yaml.GetValue(tg.Field("namespace").Value) + "/" + yaml.GetValue(tg.Field("name").Value)
						c.jsonPatches[key] = body
						continue
					}
					c.patches = append(c.patches, d)
				}
			}
		}
	}
	return c
}

// patch is the strategic-merge patch of kind ns/name, or nil.
func (c *components) patch(kind, ns, name string) *yaml.RNode {
	return find(c.patches, kind, ns, name)
}
