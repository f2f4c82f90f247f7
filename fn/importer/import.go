// Package importer reads an existing oauth2-proxy + Dex + Istio auth install
// (kustomize build output, a kubectl List, a directory of manifests) and
// writes the AuthConfig that reproduces it, with a report of what was
// carried over, what the AuthConfig changes and why, and what it cannot
// say. The report's changes are measured, not guessed: import renders the
// AuthConfig over the same install and compares the effective settings of
// both with one reader (the output checks' parsers). docs/import.md.
package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
)

// Options steer an import.
type Options struct {
	// PublicURL sets spec.publicURL when the install does not say it.
	PublicURL string
	// Name is the AuthConfig's metadata.name (default "imported").
	Name string
}

// Result is an import's output.
type Result struct {
	// AuthConfig is the YAML document to render.
	AuthConfig []byte
	Config     api.AuthConfig
	Report     Report
	// Rendered is what the AuthConfig renders over the install: the
	// generated objects and the install's objects it patched.
	Rendered []*yaml.RNode
}

// Error lists every input import could not read, each with its object,
// field and fix; nothing is written when it is returned.
type Error struct{ Problems []outputcheck.Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// kinds import reads, for the message of an input with none of them.
const lookedFor = "oauth2-proxy's Deployment or ConfigMap (oauth2_proxy.cfg), Dex's ConfigMap (config.yaml), the mesh ConfigMap (istio-system/istio, key mesh), AuthorizationPolicies, RequestAuthentications, VirtualServices, istiod's Deployment"

// Import reads objs and returns the AuthConfig and its report.
func Import(objs []*yaml.RNode, opts Options) (*Result, error) {
	if opts.PublicURL != "" {
		if _, errs := api.LoadValue(api.AuthConfig{APIVersion: api.APIVersion, Kind: api.Kind, Metadata: api.ObjectMeta{Name: "x"}, Spec: api.Spec{PublicURL: opts.PublicURL}}); len(errs) > 0 {
			return nil, &Error{Problems: []outputcheck.Problem{{Object: "-public-url", Message: errs[0].Message + "; give the URL users reach the gateway at, e.g. https://kubeflow.example.com"}}}
		}
	}
	in := read(objs)
	if len(in.errors) > 0 {
		slices.SortStableFunc(in.errors, func(a, b outputcheck.Problem) int {
			return strings.Compare(a.Object+"\x00"+a.Field, b.Object+"\x00"+b.Field)
		})
		return nil, &Error{Problems: in.errors}
	}
	if in.o2p == nil && in.dex == nil && in.mesh == nil && len(in.policies) == 0 && len(in.jwt) == 0 && in.routes.oauth2Gateways == nil && in.istiod == nil {
		return nil, &Error{Problems: []outputcheck.Problem{{Object: fmt.Sprintf("the input (%d objects)", in.objects), Message: "holds no part of an auth stack import reads: " + lookedFor + "; give it kustomize build output, a kubectl get -o yaml List or a directory of those manifests"}}}
	}
	r := Report{}
	// The install's own problems, as the output checks see them: what
	// meshauth's output fixes shows up again among the changes.
	for _, p := range outputcheck.Objects(objs) {
		r.Notes = append(r.Notes, Item{Object: p.Object, Field: p.Field, Why: "the output checks find this in the install: " + p.Message})
	}
	cfg := build(in, opts, &r)
	cfg, loaded, dropped := loadable(cfg)
	rendered, stubbed, err := renderOver(loaded, objs, &r)
	if err != nil {
		return nil, err
	}
	after := read(rendered)
	if in.dex != nil && in.dex.cfg.Issuer == "" {
		stubbed["dex"] = true
	}
	compare(in, after, dropped, stubbed, &r)
	if in.o2p != nil {
		for _, sh := range in.o2p.shadowed {
			name := sh.field[strings.LastIndex(sh.field, ".")+1:]
			r.Changed = append(r.Changed, Item{Setting: "oauth2-proxy " + name + " (in the config file)", Was: "written in " + sh.object, Becomes: "in no ConfigMap", Object: sh.object, Field: sh.field,
				Why: "a secret written into a ConfigMap, though the environment overrides it: meshauth's ConfigMap holds no secret; delete it from the file (import never copies it)"})
		}
	}
	r.Inexpressible = append(r.Inexpressible, in.inexpressible...)
	r.Notes = append(r.Notes, in.notes...)
	for _, p := range outputcheck.Objects(rendered) {
		r.Notes = append(r.Notes, Item{Object: p.Object, Field: p.Field, Why: "the output checks find this in the render: " + p.Message})
	}
	r.Carried, r.Changed, r.Inexpressible, r.Missing, r.Notes = sortItems(r.Carried), sortItems(r.Changed), sortItems(r.Inexpressible), sortItems(r.Missing), sortItems(r.Notes)
	doc, err := marshal(cfg)
	if err != nil {
		return nil, err
	}
	return &Result{AuthConfig: doc, Config: cfg, Report: r, Rendered: rendered}, nil
}

// read extracts the settings of an install (or of a render).
func read(objs []*yaml.RNode) *install {
	in := newInstall()
	in.objects = len(objs)
	x := index(in, objs)
	readOAuth2Proxy(in, x)
	readCheckServer(in, x)
	readDex(in, x)
	readMesh(in, x)
	readPolicies(in, x)
	readJWT(in, x)
	readEnvoyFilters(in, x)
	readRoutes(in, x)
	readIstiod(in, x)
	if in.errors == nil {
		custom := pickCustomQuiet(in)
		if custom != nil {
			meshSettings(in, custom.provider)
		}
		policySettings(in, custom)
	}
	return in
}

func pickCustomQuiet(in *install) *policyFacts {
	saved := in.inexpressible
	c := pickCustom(in)
	in.inexpressible = saved
	return c
}

// marshal prints the AuthConfig as YAML (keys sorted, as sigs.k8s.io/yaml
// prints them), empty mappings left out.
func marshal(c api.AuthConfig) ([]byte, error) {
	m, err := toMap(c)
	if err != nil {
		return nil, err
	}
	j, err := sigsyaml.Marshal(prune(m))
	if err != nil {
		return nil, err
	}
	return append([]byte("# Written by authconfig-fn import; the import report says what it changes and cannot say.\n"), j...), nil
}

func toMap(c api.AuthConfig) (map[string]any, error) {
	j, err := sigsyaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, sigsyaml.Unmarshal(j, &m)
}

// prune drops empty mappings and nulls, bottom up.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e = prune(e)
			if e == nil {
				delete(x, k)
				continue
			}
			if mm, ok := e.(map[string]any); ok && len(mm) == 0 {
				delete(x, k)
				continue
			}
			x[k] = e
		}
		return x
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
	}
	return v
}

// loadable drops what meshauth refuses from the AuthConfig, one field at a
// time, until it loads; each drop is a change the report states. It returns
// the AuthConfig to write and its loaded (defaulted) form.
func loadable(c api.AuthConfig) (api.AuthConfig, api.AuthConfig, []Item) {
	var dropped []Item
	for range 20 {
		loaded, errs := api.LoadValue(c)
		if len(errs) == 0 {
			return c, loaded, dropped
		}
		m, err := toMap(c)
		if err != nil {
			break
		}
		progress := false
		for _, e := range errs {
			// The field the problem names, else a field its message names
			// (a derived value is refused for an imported one: "add
			// offline_access to spec.oidc.scopes"), else its parent.
			for _, path := range append(append([]string{e.Path}, specPaths.FindAllString(e.Message, -1)...), parent(e.Path)) {
				was := valueAt(m, path)
				if path != "spec" && deletePath(m, path) {
					progress = true
					dropped = append(dropped, Item{Setting: path, Was: was, Becomes: "meshauth's default", Why: "meshauth refuses the imported value (" + e.Path + ": " + e.Message + ")"})
					break
				}
			}
		}
		var next api.AuthConfig
		if j, err := sigsyaml.Marshal(prune(m)); err != nil || sigsyaml.Unmarshal(j, &next) != nil || !progress {
			break
		}
		c = next
	}
	// Nothing imported loads: fall back to the bare minimum.
	c = api.AuthConfig{APIVersion: api.APIVersion, Kind: api.Kind, Metadata: c.Metadata, Spec: api.Spec{PublicURL: placeholderURL}}
	loaded, _ := api.LoadValue(c)
	return c, loaded, append(dropped, Item{Setting: "spec", Why: "the imported AuthConfig does not load; the default AuthConfig is written instead"})
}

// deletePath removes spec.a.b[2].c from m: the element (or field) the
// problem names, or the nearest enclosing field that exists.
func deletePath(m map[string]any, path string) bool {
	parts := strings.FieldsFunc(strings.ReplaceAll(path, "[", ".["), func(r rune) bool { return r == '.' })
	var cur any = m
	for i, p := range parts {
		last := i == len(parts)-1 || strings.HasPrefix(parts[i+1], "[") && i+1 == len(parts)-1
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[p]
			if !ok {
				return false
			}
			if last && !strings.HasPrefix(p, "[") {
				if i+1 < len(parts) {
					if l, ok := v.([]any); ok {
						n, err := strconv.Atoi(strings.Trim(parts[i+1], "[]"))
						if err == nil && n < len(l) {
							x[p] = append(l[:n:n], l[n+1:]...)
							return true
						}
					}
				}
				delete(x, p)
				return true
			}
			cur = v
		case []any:
			n, err := strconv.Atoi(strings.Trim(p, "[]"))
			if err != nil || n >= len(x) {
				return false
			}
			cur = x[n]
		default:
			return false
		}
	}
	return false
}

// valueAt prints the value at a path for the report ("" when absent).
func valueAt(m map[string]any, path string) string {
	var cur any = m
	for _, p := range strings.FieldsFunc(strings.ReplaceAll(path, "[", ".["), func(r rune) bool { return r == '.' }) {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[p]
		case []any:
			n, err := strconv.Atoi(strings.Trim(p, "[]"))
			if err != nil || n >= len(x) {
				return ""
			}
			cur = x[n]
		default:
			return ""
		}
	}
	if cur == nil {
		return ""
	}
	if str, ok := cur.(string); ok {
		return redactURL(str)
	}
	j, _ := json.Marshal(cur)
	return string(j)
}

var specPaths = regexp.MustCompile(`spec(\.[A-Za-z]+)+`)

func parent(path string) string {
	if i := strings.LastIndexAny(path, ".["); i > 0 {
		return path[:i]
	}
	return "spec"
}

// renderOver renders over the install; when meshauth refuses to patch an
// object of the install (its output checks fail on the user's own content,
// e.g. a misspelled Dex key the merge keeps), that object is stood in for
// by an empty one and the report says what to fix first.
func renderOver(c api.AuthConfig, objs []*yaml.RNode, r *Report) ([]*yaml.RNode, map[string]bool, error) {
	stubbed := map[string]bool{}
	var keep []*yaml.RNode
	keep = append(keep, objs...)
	for range 5 {
		out, err := render(c, keep)
		if err == nil {
			return out, stubbed, nil
		}
		var re *renderError
		if !errors.As(err, &re) {
			return nil, nil, err
		}
		progress := false
		for _, msg := range re.messages {
			for _, o := range keep {
				id := newObj(o).id
				if o.YNode().Kind == yaml.MappingNode && !stubbed[id] && strings.Contains(msg, ": "+id+": ") {
					stubbed[id] = true
					progress = true
					r.Missing = append(r.Missing, Item{Object: id, Why: id + " as it stands: meshauth refuses to patch it until it is fixed (" + msg[strings.Index(msg, id):] + "); fix it in the install, then render"})
				}
			}
		}
		if !progress {
			return nil, nil, err
		}
		var next []*yaml.RNode
		for _, o := range keep {
			if o.YNode().Kind != yaml.MappingNode || !stubbed[newObj(o).id] {
				next = append(next, o)
			}
		}
		keep = next
	}
	return nil, nil, fmt.Errorf("rendering the imported AuthConfig failed (an import bug, please report it)")
}
