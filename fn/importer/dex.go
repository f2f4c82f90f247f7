package importer

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
)

// dexFacts is the Dex config import found and the workload that runs it.
type dexFacts struct {
	namespace, configMap, deployment, container string
	object                                      string // the ConfigMap's id
	cfg                                         outputcheck.DexSettings
	// secretEnv maps the Deployment's environment variables to the Secret
	// key each is read from (a static client's secretEnv).
	secretEnv map[string]api.SecretKeyRef
	// secretConfig names the Secret holding Dex's config.yaml when Dex
	// keeps it there (cfg is then empty: import never reads a Secret).
	secretConfig string
}

// readDex finds Dex's config: a ConfigMap key config.yaml that parses as a
// Dex config with an issuer. A config held in a Secret is named, not read.
func readDex(in *install, x *objects) {
	for _, key := range sortedKeys(x.configMaps) {
		cm := x.configMaps[key]
		text, ok := cm.Data["config.yaml"]
		if !ok || !strings.Contains(text, "issuer") || x.csConfigs[key] {
			continue
		}
		o := x.cmObj[key]
		settings, problems := outputcheck.DexConfig(text)
		if settings.Issuer == "" {
			if looksLikeDex(text) {
				for _, p := range problems {
					in.fail(o.id, "data[config.yaml]"+dotted(p.Field), p.Message+"; fix Dex's config (Dex would refuse it or drop the key)")
				}
			}
			continue
		}
		if in.dex != nil {
			in.cannot(o.id, "data[config.yaml]", "a second Dex config: an AuthConfig has one Dex; only "+in.dex.object+" was imported")
			continue
		}
		d := &dexFacts{namespace: cm.Namespace, configMap: cm.Name, object: o.id, cfg: settings, secretEnv: map[string]api.SecretKeyRef{}}
		for _, dep := range x.deployments {
			if dep.o.namespace != cm.Namespace {
				continue
			}
			for _, v := range dep.d.Spec.Template.Spec.Volumes {
				if v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
					d.deployment = dep.o.name
					d.container = dexContainer(dep.d.Spec.Template.Spec.Containers)
					for _, c := range dep.d.Spec.Template.Spec.Containers {
						for _, e := range c.Env {
							if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
								d.secretEnv[e.Name] = api.SecretKeyRef{Name: e.ValueFrom.SecretKeyRef.Name, Key: e.ValueFrom.SecretKeyRef.Key}
							}
						}
					}
				}
			}
		}
		in.dex = d
		in.set("dex issuer", settings.Issuer, o.id, "data[config.yaml].issuer")
		if settings.PasswordConnector != "" {
			in.set("dex oauth2.passwordConnector", settings.PasswordConnector, o.id, "data[config.yaml].oauth2.passwordConnector")
		}
		for i, c := range settings.StaticClients {
			at := idx("data[config.yaml].staticClients", i)
			id := c.ID
			if id == "" {
				id = "$" + c.IDEnv
			}
			in.set("dex client "+id+" redirectURIs", list(c.RedirectURIs), o.id, at+".redirectURIs")
			in.set("dex client "+id+" public", boolStr(c.Public), o.id, at+".public")
			switch {
			case c.HasSecret:
				in.set("dex client "+id+" secret", "written in "+o.id, o.id, at+".secret")
			case c.SecretEnv != "":
				v := "from environment " + c.SecretEnv
				if ref, ok := d.secretEnv[c.SecretEnv]; ok {
					v = "from Secret " + d.namespace + "/" + ref.Name + " key " + ref.Key
				}
				in.set("dex client "+id+" secret", v, o.id, at+".secretEnv")
			}
		}
	}
	if in.dex != nil {
		return
	}
	// No Dex config in a ConfigMap: a Dex Deployment still says where Dex
	// runs; its config in a Secret (the Dex Helm chart's way) is named.
	for _, dep := range x.deployments {
		c := dexContainer(dep.d.Spec.Template.Spec.Containers)
		if c == "" || !slices.ContainsFunc(dep.d.Spec.Template.Spec.Containers, func(cc corev1.Container) bool {
			return strings.Contains(cc.Image, "dexidp/dex") || strings.Contains(cc.Image, "/dex:")
		}) {
			continue
		}
		d := &dexFacts{namespace: dep.o.namespace, deployment: dep.o.name, container: c, object: dep.o.id, secretEnv: map[string]api.SecretKeyRef{}}
		for _, v := range dep.d.Spec.Template.Spec.Volumes {
			if v.Secret != nil {
				if so := x.secrets[dep.o.namespace+"/"+v.Secret.SecretName]; so != nil {
					if data := so.node.Field("data"); data != nil && data.Value.Field("config.yaml") != nil {
						d.secretConfig = so.id
					}
				}
			}
		}
		in.dex = d
		return
	}
}

func looksLikeDex(text string) bool {
	return strings.Contains(text, "staticClients") || strings.Contains(text, "connectors") || strings.Contains(text, "storage")
}

func dexContainer(cs []corev1.Container) string {
	for _, c := range cs {
		if strings.Contains(c.Image, "dex") {
			return c.Name
		}
	}
	if len(cs) > 0 {
		return cs[0].Name
	}
	return ""
}

func dotted(f string) string {
	if f == "" || f[0] == '[' {
		return f
	}
	return "." + f
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
