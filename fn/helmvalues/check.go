package helmvalues

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/outputcheck"
	"meshauth.dev/meshauth/generators"
)

// check runs the function's own output checks over what the values put in
// the cluster, before anything is written: the Dex config as merged (with
// the user's connectors and clients, which Dex would take silently even
// misspelled), the mesh config the values give istiod (with the user's
// other meshConfig keys, parsed strictly), oauth2-proxy's config and the
// extras. A problem is a refusal naming the chart key.
func (b *builder) check(comps []generators.Component, dex, istiod *yaml.RNode, extras string) {
	var objs []*yaml.RNode
	for _, comp := range comps {
		if comp.Name != "oauth2-proxy" {
			continue
		}
		for _, r := range comp.Resources {
			if k := r.GetKind(); k == "ConfigMap" || k == "Service" {
				objs = append(objs, r.Copy())
			}
		}
	}
	s := b.c.Spec
	meshNS := s.Istio.Istiod.Namespace
	if mc := lookup(istiod, "meshConfig"); mc != nil {
		text, err := mc.String()
		if err == nil {
			objs = append(objs, configMap(meshNS, "istio", "mesh", text))
		}
	}
	if cfg := lookup(dex, "config"); cfg != nil && s.Dex != nil {
		text, err := cfg.String()
		if err == nil {
			objs = append(objs, configMap(s.Dex.Namespace, "dex", "config.yaml", text))
		}
	}
	if extras != "" {
		if more, err := outputcheck.Parse([]byte(extras)); err == nil {
			objs = append(objs, more...)
		}
	}
	for _, p := range outputcheck.Objects(objs) {
		where, field := p.Object, p.Field
		switch {
		case s.Dex != nil && p.Object == "ConfigMap "+s.Dex.Namespace+"/dex":
			where, field = dexChart, strings.Replace(field, "data[config.yaml]", "config", 1)
		case p.Object == "ConfigMap "+meshNS+"/istio":
			where, field = istiodChart, strings.Replace(field, "data[mesh]", "meshConfig", 1)
		case p.Object == "ConfigMap "+s.OAuth2Proxy.Namespace+"/oauth2-proxy":
			where, field = o2pChart, strings.Replace(field, "data[oauth2_proxy.cfg]", "config.configFile", 1)
		}
		if field != "" {
			where += ": " + field
		}
		b.refuse(where, p.Message)
	}
}

func configMap(ns, name, key, text string) *yaml.RNode {
	cm := generators.Fields("apiVersion", "v1", "kind", "ConfigMap")
	_ = cm.PipeE(yaml.SetField("metadata", generators.Fields("name", name, "namespace", ns)))
	_ = cm.PipeE(yaml.SetField("data", generators.Fields(key, text)))
	return cm
}
