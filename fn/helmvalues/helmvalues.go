// Package helmvalues is the Helm output of authconfig-fn (`render --helm DIR`):
// the same stack as the kustomize components, as values for the upstream
// charts people install oauth2-proxy, Dex and istiod with, plus a plain
// manifest for what no chart carries (the policies, RequestAuthentications,
// the header-stripping EnvoyFilter) and a small kustomize Component for the
// routes it adds to a VirtualService it does not own (logout, large tokens).
//
// It calls the generators and reshapes their objects; it generates nothing of
// its own. Values never carry a secret: only references (existingSecret,
// secretKeyRef, Dex's secretEnv). Values a supported chart version cannot
// express are refused with the chart key and the fix, and chart versions
// other than the pinned ones (internal/versions) are refused, not guessed.
package helmvalues

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
	"meshauth.dev/meshauth/internal/versions"
)

// File names in the output folder.
const (
	OAuth2ProxyValuesFile = "oauth2-proxy-values.yaml"
	DexValuesFile         = "dex-values.yaml"
	IstiodValuesFile      = "istiod-values.yaml"
	ExtrasFile            = "meshauth-extras.yaml"
	RoutesDir             = "routes"
	ReadmeFile            = "README.md"
)

// Chart is one upstream chart the output has values for.
type Chart struct {
	// Name is the chart's name (Chart.yaml), Ref how `helm upgrade` names it
	// after `helm repo add`, Repo the repository URL.
	Name, Ref, Repo string
	// Supported are the chart versions the values are written for.
	Supported []string
}

// Charts are the supported charts, by name.
var Charts = map[string]Chart{
	"oauth2-proxy": {Name: "oauth2-proxy", Ref: "oauth2-proxy/oauth2-proxy", Repo: "https://oauth2-proxy.github.io/manifests",
		Supported: []string{versions.OAuth2ProxyChart}},
	"dex": {Name: "dex", Ref: "dex/dex", Repo: "https://charts.dexidp.io",
		Supported: []string{versions.DexChart}},
	// istio.io/istio's tree carries the placeholder version 1.0.0 that
	// istio's release builder replaces with the release (1.31.N).
	"istiod": {Name: "istiod", Ref: "istio/istiod", Repo: "https://istio-release.storage.googleapis.com/charts",
		Supported: []string{versions.IstioChartLine + ".x", versions.IstiodChart}},
}

// Options are the inputs besides the AuthConfig.
type Options struct {
	// Chart versions the values are for; empty means the pinned one.
	OAuth2ProxyChart, DexChart, IstiodChart string
	// DexValues and IstiodValues are the user's own values files for those
	// charts (optional): meshauth's entries are merged into them (Dex's
	// connectors, static passwords and other clients are kept; istiod's
	// other extension providers and env are kept).
	DexValues, IstiodValues []byte
}

// Problem is one value a chart cannot take, or one input refused.
type Problem struct {
	// Where is "<chart> chart: <values key>" or an AuthConfig field path.
	Where   string
	Message string
}

func (p Problem) String() string { return p.Where + ": " + p.Message }

// Refused is the error for problems: nothing is written.
type Refused []Problem

func (r Refused) Error() string {
	lines := make([]string, len(r))
	for i, p := range r {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Output is what Render writes, keyed by path relative to the output folder.
type Output struct {
	Files map[string]string
	// Warnings are said once and written nowhere else (the README repeats
	// what a user must do).
	Warnings []string
}

// supported checks a requested chart version.
func supported(name, v string) (string, *Problem) {
	ch := Charts[name]
	if v == "" {
		return ch.Supported[0], nil
	}
	for _, s := range ch.Supported {
		if v == s || (strings.HasSuffix(s, ".x") && strings.HasPrefix(v, strings.TrimSuffix(s, "x")) && !strings.Contains(strings.TrimPrefix(v, strings.TrimSuffix(s, "x")), ".")) {
			return v, nil
		}
	}
	return "", &Problem{Where: name + " chart", Message: fmt.Sprintf("version %s is not supported: authconfig-fn writes values for %s %s only (pinned in internal/versions); install that version (helm upgrade --version %s) or render the kustomize components instead",
		v, name, strings.Join(ch.Supported, ", "), ch.Supported[0])}
}

// Render writes the Helm output of an AuthConfig that api.Load accepted.
func Render(c api.AuthConfig, o Options) (Output, error) {
	var refused Refused
	versionsUsed := map[string]string{}
	for name, v := range map[string]string{"oauth2-proxy": o.OAuth2ProxyChart, "dex": o.DexChart, "istiod": o.IstiodChart} {
		got, p := supported(name, v)
		if p != nil {
			refused = append(refused, *p)
		}
		versionsUsed[name] = got
	}
	comps, err := generators.All(c)
	if err != nil {
		return Output{}, err
	}
	byName := map[string]generators.Component{}
	for _, comp := range comps {
		byName[comp.Name] = comp
	}
	out := Output{Files: map[string]string{}}
	b := &builder{c: c, out: &out}

	o2p := b.oauth2Proxy(byName["oauth2-proxy"])
	var dex *yaml.RNode
	if comp, ok := byName["dex-clients"]; ok {
		dex = b.dex(comp, o.DexValues)
	} else if len(o.DexValues) > 0 {
		b.refuse("--dex-values", "the AuthConfig has no spec.dex (the provider is "+c.Spec.OIDC.Provider+"): there is nothing to merge into Dex's values; leave the flag out")
	}
	istiod := b.istiod(o.IstiodValues)
	extras := b.extras(comps)
	routes := b.routes(comps)
	if len(b.problems) == 0 {
		b.check(comps, dex, istiod, extras)
	}
	refused = append(refused, b.problems...)
	if len(refused) > 0 {
		sort.SliceStable(refused, func(i, j int) bool { return refused[i].Where < refused[j].Where })
		return Output{}, refused
	}
	for _, f := range []struct {
		name string
		n    *yaml.RNode
	}{{OAuth2ProxyValuesFile, o2p}, {DexValuesFile, dex}, {IstiodValuesFile, istiod}} {
		if f.n == nil {
			continue
		}
		text, err := f.n.String()
		if err != nil {
			return Output{}, err
		}
		out.Files[f.name] = text
	}
	if extras != "" {
		out.Files[ExtrasFile] = extras
	}
	for name, text := range routes {
		out.Files[RoutesDir+"/"+name] = text
	}
	out.Files[ReadmeFile] = b.readme(versionsUsed, dex != nil, slices.Sorted(maps.Keys(routes)))
	return out, nil
}

// builder collects the refusals and warnings of one Render.
type builder struct {
	c        api.AuthConfig
	out      *Output
	problems []Problem
	// dexBaseline: Dex's config is the Kubeflow one (no --dex-values).
	dexBaseline bool
}

func (b *builder) refuse(where, msg string) { b.problems = append(b.problems, Problem{where, msg}) }
func (b *builder) warn(msg string)          { b.out.Warnings = append(b.out.Warnings, msg) }

// find returns the first resource of kind in a component.
func find(comp generators.Component, kind string) *yaml.RNode {
	for _, r := range comp.Resources {
		if r.GetKind() == kind {
			return r
		}
	}
	return nil
}

// lookup is n's field at path, nil when absent.
func lookup(n *yaml.RNode, path ...string) *yaml.RNode {
	if n == nil {
		return nil
	}
	f, err := n.Pipe(yaml.Lookup(path...))
	if err != nil {
		return nil
	}
	return f
}

// set appends key: value to a mapping node (keys in insertion order).
func set(m *yaml.RNode, key string, v *yaml.RNode) {
	if v == nil {
		return
	}
	_ = m.PipeE(yaml.SetField(key, v))
}

func str(s string) *yaml.RNode { return yaml.NewStringRNode(s) }

func intNode(i int64) *yaml.RNode {
	return yaml.NewRNode(&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: fmt.Sprint(i)})
}

func boolNode(v bool) *yaml.RNode {
	return yaml.NewRNode(&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: fmt.Sprint(v)})
}

func mapping(kv ...any) *yaml.RNode {
	m := yaml.NewMapRNode(nil)
	for i := 0; i+1 < len(kv); i += 2 {
		set(m, kv[i].(string), kv[i+1].(*yaml.RNode))
	}
	return m
}

// header is the comment on top of every values file.
func (b *builder) header(chart, what string) string {
	return fmt.Sprintf("Values for the %s chart: %s.\nGenerated by meshauth (authconfig-fn render --helm) from AuthConfig %q; edit the AuthConfig and re-render, not this file.\nNo secret is written here: only references to Secrets you create.", chart, what, b.c.Metadata.Name)
}

// escapeTpl keeps text the chart passes through `tpl` literal.
func escapeTpl(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return strings.ReplaceAll(s, "{{", `{{ "{{" }}`)
}
