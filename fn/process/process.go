package process

import (
	"fmt"
	"path"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
	"meshauth.dev/meshauth/validate"
)

// DefaultComponentsDir is where components land in a package.
const DefaultComponentsDir = "components"

// Processor is the KRM function. ComponentsDir overrides the folder the
// components are written to ("" means the AuthConfig's annotation or the
// default); the CLI sets "." to write straight into its output folder.
type Processor struct {
	ComponentsDir string
	// Mode forces a mode; empty means detect it.
	Mode Mode
}

// Process implements fn.ResourceListProcessor. User problems become results;
// on any error result the items are left exactly as they came in.
func (p Processor) Process(rl *fn.ResourceList) (bool, error) {
	results, ok := p.process(rl)
	rl.Results = append(rl.Results, results...)
	return ok, nil
}

func (p Processor) process(rl *fn.ResourceList) (fn.Results, bool) {
	cfgObj, res := findAuthConfig(rl)
	if res != nil {
		return fn.Results{res}, false
	}
	c, results := load(cfgObj)
	mode := p.Mode
	if mode == "" {
		m, err := detectMode(cfgObj)
		if err != nil {
			results = append(results, &fn.Result{Severity: fn.Error, Message: err.Error()})
		}
		mode = m
	}
	dir, err := p.componentsDir(cfgObj)
	if err != nil {
		results = append(results, &fn.Result{Severity: fn.Error, Message: err.Error(), Field: &fn.Field{Path: "metadata.annotations." + ComponentsDirAnnotation}})
	}
	if len(results) > 0 {
		return results, false
	}
	comps, err := generators.All(c)
	if err != nil {
		return fn.Results{{Severity: fn.Error, Message: "generating components: " + err.Error()}}, false
	}
	out := newStream(rl.Items)
	switch mode {
	case Resources:
		results, err = out.resources(comps, cfgObj)
	default:
		results, err = out.components(comps, dir, c.Metadata.Name)
	}
	if err != nil {
		return append(results, &fn.Result{Severity: fn.Error, Message: err.Error()}), false
	}
	if hasError(results) {
		return results, false
	}
	if c.Spec.Istio.ManagedBy == api.ManagedByExternal {
		r, err := externalIstio(c)
		if err != nil {
			return append(results, &fn.Result{Severity: fn.Error, Message: err.Error()}), false
		}
		results = append(results, r)
	}
	// Nothing invalid leaves the function: everything it created or changed
	// is checked against the upstream schemas before the list is touched.
	if problems := validate.Objects(out.changed()); len(problems) > 0 {
		for _, pr := range problems {
			results = append(results, &fn.Result{Severity: fn.Error, Message: "generated output is invalid (a meshauth bug, please report it): " + pr.String()})
		}
		return results, false
	}
	items, err := out.objects()
	if err != nil {
		return fn.Results{{Severity: fn.Error, Message: err.Error()}}, false
	}
	rl.Items = items
	return results, true
}

func (p Processor) componentsDir(cfg *fn.KubeObject) (string, error) {
	if p.ComponentsDir != "" {
		return p.ComponentsDir, nil
	}
	dir := cfg.GetAnnotation(ComponentsDirAnnotation)
	if dir == "" {
		return DefaultComponentsDir, nil
	}
	clean := path.Clean(dir)
	if path.IsAbs(dir) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%s must be a folder inside the package, got %q", ComponentsDirAnnotation, dir)
	}
	return clean, nil
}

// Identity is how objects are matched between the stream and the
// generated components: group, kind, namespace, name.
func Identity(n *yaml.RNode) string {
	g := n.GetApiVersion()
	if i := strings.LastIndex(g, "/"); i >= 0 {
		g = g[:i]
	} else {
		g = ""
	}
	return g + "|" + n.GetKind() + "|" + n.GetNamespace() + "|" + n.GetName()
}

func hasError(results fn.Results) bool {
	for _, r := range results {
		if r.Severity == fn.Error {
			return true
		}
	}
	return false
}
