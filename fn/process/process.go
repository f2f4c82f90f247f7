package process

import (
	"fmt"
	"path"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
	"meshauth.dev/meshauth/generators"
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
	pl, results, ok := p.plan(rl.FunctionConfig, rl.Items)
	if !ok {
		return results, false
	}
	out := newStream(rl.Items)
	applied, ok := pl.apply(out)
	results = append(results, applied...)
	if !ok {
		return results, false
	}
	rl.Items = out.objects()
	return results, true
}

// plan is what a run will do, decided from the AuthConfig alone: the SDK
// path and the byte-copying fast path (fast.go) share it.
type plan struct {
	mode  Mode
	dir   string
	cfg   *fn.KubeObject // the AuthConfig object (for the kustomize stack marker)
	c     api.AuthConfig
	comps []generators.Component
}

// plan finds, loads and checks the AuthConfig (the function config or the
// one among items) and generates the components.
func (p Processor) plan(fc *fn.KubeObject, items fn.KubeObjects) (*plan, fn.Results, bool) {
	cfgObj, res := findAuthConfig(fc, items)
	if res != nil {
		return nil, fn.Results{res}, false
	}
	c, results := load(cfgObj)
	mode := p.Mode
	if mode == "" {
		m, err := detectMode(cfgObj)
		if err != nil {
			results = append(results, fn.ErrorResult(err))
		}
		mode = m
	}
	dir, err := p.componentsDir(cfgObj)
	if err != nil {
		results = append(results, &fn.Result{Severity: fn.Error, Message: err.Error(), Field: &fn.Field{Path: "metadata.annotations." + ComponentsDirAnnotation}})
	}
	if len(results) > 0 {
		return nil, results, false
	}
	var chosen fn.Results
	if r := logoutTarget(&c, cfgObj, items); r != nil {
		if r.Severity == fn.Error {
			return nil, fn.Results{r}, false
		}
		chosen = append(chosen, r)
	}
	comps, err := generators.All(c)
	if err != nil {
		return nil, fn.Results{fn.GeneralResult("generating components: "+err.Error(), fn.Error)}, false
	}
	return &plan{mode: mode, dir: dir, cfg: cfgObj, c: c, comps: comps}, chosen, true
}

// targets is the identities of the objects the plan may patch: the items
// the fast path must read.
func (pl *plan) targets() map[string]bool {
	t := map[string]bool{}
	for _, c := range pl.comps {
		for _, p := range c.Patches {
			pt := p.Target()
			t[identity(pt.APIVersion, pt.Kind, pt.Namespace, pt.Name)] = true
		}
	}
	return t
}

// apply rewrites the stream; on an error result the stream is not to be used.
func (pl *plan) apply(out *stream) (fn.Results, bool) {
	var results fn.Results
	var err error
	if pl.c.Spec.Gateway.GatewayAPI() {
		if results, err = gatewayAPIRefusals(out, pl.comps, pl.c, pl.mode); err != nil {
			return append(results, fn.ErrorResult(err)), false
		}
		if hasError(results) {
			return results, false
		}
	}
	var res fn.Results
	switch pl.mode {
	case Resources:
		res, err = out.resources(pl.comps)
	default:
		res, err = out.components(pl.comps, pl.dir, pl.c.Metadata.Name)
	}
	results = append(results, res...)
	if err != nil {
		return append(results, fn.ErrorResult(err)), false
	}
	if hasError(results) {
		return results, false
	}
	if pl.c.Spec.Istio.ManagedBy == api.ManagedByExternal {
		r, err := externalIstio(pl.c)
		if err != nil {
			return append(results, fn.ErrorResult(err)), false
		}
		results = append(results, r)
	}
	// Nothing invalid leaves the function: everything it created or changed
	// is checked against the upstream schemas before the list is touched.
	if problems := outputcheck.Objects(out.changed()); len(problems) > 0 {
		for _, pr := range problems {
			results = append(results, fn.GeneralResult("generated output is invalid (a meshauth bug, please report it): "+pr.String(), fn.Error))
		}
		return results, false
	}
	// After the checks: the marker is the user's own AuthConfig, not output.
	if m := stackMarker(pl.cfg); m != nil && pl.mode == Resources {
		out.entries = append(out.entries, &entry{orig: m})
	}
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
	return identity(n.GetApiVersion(), n.GetKind(), n.GetNamespace(), n.GetName())
}

func identity(apiVersion, kind, namespace, name string) string {
	group, _ := resid.ParseGroupVersion(apiVersion)
	return group + "|" + kind + "|" + namespace + "|" + name
}

func hasError(results fn.Results) bool {
	for _, r := range results {
		if r.Severity == fn.Error {
			return true
		}
	}
	return false
}
