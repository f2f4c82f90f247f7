package importer

import (
	"slices"
	"strings"

	csconfig "meshauth.dev/meshauth/checkserver/config"
)

// csFacts is a bundled check-server the install runs: its workload and
// its config (parsed with checkserver/config, the one parser of it).
type csFacts struct {
	namespace, name, image, object string
	replicas                       *int32
	cfg                            *csconfig.Config
	cfgObject                      string
}

// readCheckServer finds meshauth's check-server: a Deployment running its
// image, and the ConfigMap whose config.yaml check-server's parser takes.
func readCheckServer(in *install, x *objects) {
	var cs *csFacts
	for _, d := range x.deployments {
		for _, c := range d.d.Spec.Template.Spec.Containers {
			if strings.Contains(c.Image, "check-server") && cs == nil {
				cs = &csFacts{namespace: d.o.namespace, name: d.o.name, image: c.Image, object: d.o.id, replicas: d.d.Spec.Replicas}
			}
		}
	}
	for _, key := range sortedKeys(x.configMaps) {
		text, ok := x.configMaps[key].Data["config.yaml"]
		if !ok || !strings.Contains(text, "listen") {
			continue
		}
		cfg, err := csconfig.Parse([]byte(text))
		if err != nil {
			continue
		}
		cm := x.configMaps[key]
		if cs == nil {
			cs = &csFacts{namespace: cm.Namespace, name: "check-server"}
		}
		if cm.Namespace == cs.namespace {
			cs.cfg, cs.cfgObject = &cfg, x.cmObj[key].id
			x.csConfigs[key] = true
		}
	}
	if cs == nil {
		return
	}
	in.cs = cs
	if c := cs.cfg; c != nil {
		at := "data[config.yaml]"
		in.set("check-server skipAuthPaths", setOf(c.SkipAuthPaths), cs.cfgObject, at+".skipAuthPaths")
		in.set("check-server allowedGroups", setOf(c.Identity.AllowedGroups), cs.cfgObject, at+".identity.allowedGroups")
		var tr []string
		for _, t := range c.Identity.UserTransformers {
			tr = append(tr, t.Match+" → "+t.Replace)
		}
		in.set("check-server userTransformers", list(tr), cs.cfgObject, at+".identity.userTransformers")
		in.set("check-server groupsFormat", c.Identity.GroupsFormat, cs.cfgObject, at+".identity.groupsFormat")
		in.set("check-server userHeader", strings.ToLower(c.Identity.UserHeader), cs.cfgObject, at+".identity.userHeader")
		in.set("check-server groupsHeader", strings.ToLower(c.Identity.GroupsHeader), cs.cfgObject, at+".identity.groupsHeader")
		for i, is := range c.Issuers {
			k := "check-server issuer " + is.Issuer + " "
			f := idx(at+".issuers", i)
			in.set(k+"audiences", setOf(is.Audiences), cs.cfgObject, f+".audiences")
			in.set(k+"userClaim", is.UserClaim, cs.cfgObject, f+".userClaim")
			in.set(k+"groupsClaim", is.GroupsClaim, cs.cfgObject, f+".groupsClaim")
		}
		in.set("check-server tokenReview", boolStr(c.Kubernetes.TokenReview.Enabled), cs.cfgObject, at+".kubernetes.tokenReview.enabled")
	}
}

// authorizes reports whether the mesh provider named is the check-server.
func (cs *csFacts) authorizes(in *install, provider string) bool {
	if cs == nil {
		return false
	}
	if in.mesh == nil {
		// Without the mesh config, a running check-server is the guess;
		// build notes it.
		return cs.object != ""
	}
	for _, p := range in.mesh.providers {
		if p.GetName() != provider {
			continue
		}
		host := p.GetEnvoyExtAuthzHttp().GetService() + p.GetEnvoyExtAuthzGrpc().GetService()
		if i := strings.IndexByte(host, '/'); i >= 0 {
			host = host[i+1:]
		}
		labels := strings.Split(host, ".")
		return labels[0] == cs.name || strings.Contains(labels[0], "check-server") && (len(labels) < 2 || labels[1] == cs.namespace)
	}
	return false
}

func (cs *csFacts) skipPaths() []string {
	if cs == nil || cs.cfg == nil {
		return nil
	}
	return slices.Clone(cs.cfg.SkipAuthPaths)
}
