package helmvalues

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/generators"
)

const istiodChart = "istiod chart"

// istiod is the istiod chart's values: the extension provider in
// meshConfig.extensionProviders and the JWKS refresh in pilot.env, the same
// entries `managedBy: external` prints (generators.IstioInstallSnippet),
// merged into the user's own istiod values when given (their other
// providers and env kept; a provider of the same name replaced).
func (b *builder) istiod(user []byte) *yaml.RNode {
	s := b.c.Spec
	snippet, err := generators.IstioInstallSnippet(b.c)
	if err != nil {
		b.refuse(istiodChart, err.Error())
		return nil
	}
	docs := strings.Split(snippet, "\n---\n")
	ours, err := yaml.Parse(docs[len(docs)-1])
	if err != nil {
		b.refuse(istiodChart, err.Error())
		return nil
	}
	v := yaml.NewMapRNode(nil)
	if len(user) > 0 {
		u, err := yaml.Parse(string(user))
		if err != nil || u.YNode().Kind != yaml.MappingNode {
			b.refuse("--istiod-values", "not a YAML mapping of istiod chart values: "+errText(err))
			return nil
		}
		v = u
	}
	v.YNode().HeadComment = b.header("istiod", "the ext_authz extension provider meshauth's CUSTOM policy names, and istiod's JWKS refresh interval")

	// The chart names its Deployment istiod[-<revision>] and keeps the
	// mesh config in ConfigMap istio[-<revision>], key mesh, in the
	// release namespace.
	rev := ""
	if d := s.Istio.Istiod.Deployment; d != "istiod" {
		if r, ok := strings.CutPrefix(d, "istiod-"); ok {
			rev = r
			b.need(v, istiodChart, "revision", str(rev), "spec.istio.istiod.deployment is "+d)
		} else {
			b.warn("istiod chart: spec.istio.istiod.deployment is " + d + ", but the chart names its Deployment istiod or istiod-<revision>; the values do not depend on it (the name is where the kustomize output patches)")
		}
	}
	wantCM := "istio"
	if rev != "" {
		wantCM += "-" + rev
	}
	if m := s.Istio.Mesh; m.ConfigMap.Name != wantCM || m.Key != "mesh" || m.ConfigMap.Namespace != s.Istio.Istiod.Namespace {
		b.warn("istiod chart: spec.istio.mesh names " + m.ConfigMap.Namespace + "/" + m.ConfigMap.Name + " key " + m.Key + ", but the chart keeps the mesh config in " + s.Istio.Istiod.Namespace + "/" + wantCM + " key mesh; the values set it there (the AuthConfig's names are where the kustomize output patches)")
	}
	if ns := s.Istio.Istiod.Namespace; ns != "istio-system" {
		b.need(v, istiodChart, "global.istioNamespace", str(ns), "spec.istio.istiod.namespace is "+ns)
	}

	// meshConfig.extensionProviders: upsert ours by name.
	providers, err := v.Pipe(yaml.LookupCreate(yaml.SequenceNode, "meshConfig", "extensionProviders"))
	if err != nil {
		b.refuse(istiodChart+": meshConfig.extensionProviders", "must be a list: "+err.Error())
		return nil
	}
	for _, p := range lookup(ours, "meshConfig", "extensionProviders").Content() {
		name := yaml.NewRNode(p).Field("name").Value.YNode().Value
		replaced := false
		for i, have := range providers.YNode().Content {
			if f := yaml.NewRNode(have).Field("name"); f != nil && f.Value.YNode().Value == name {
				providers.YNode().Content[i] = p
				replaced = true
			}
		}
		if !replaced {
			providers.YNode().Content = append(providers.YNode().Content, p)
		}
	}
	// pilot.env: set ours.
	env := lookup(ours, "pilot", "env")
	for i := 0; i+1 < len(env.YNode().Content); i += 2 {
		k, val := env.YNode().Content[i].Value, env.YNode().Content[i+1]
		if have := lookup(v, "env", k); have != nil && have.YNode().Value != val.Value {
			b.refuse(istiodChart+": env."+k, "your values set "+have.YNode().Value+" and meshauth sets pilot.env."+k+" = "+val.Value+" (spec.istio.jwksRefreshInterval); drop yours or change the AuthConfig")
		}
		if err := v.PipeE(yaml.LookupCreate(yaml.MappingNode, "pilot", "env"), yaml.SetField(k, yaml.NewRNode(val))); err != nil {
			b.refuse(istiodChart+": pilot.env", err.Error())
		}
	}
	return v
}
