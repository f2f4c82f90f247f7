package helmvalues

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/generators"
)

// oauth2-proxy chart facts (10.7.0) the values rely on.
const (
	o2pChart = "oauth2-proxy chart"
	// The chart mounts config.configFile here and passes --config itself.
	o2pChartConfigArg = "--config="
	// The chart names its client and cookie secret keys so, under
	// config.existingSecret.
	o2pClientSecretKey = "client-secret"
	o2pCookieSecretKey = "cookie-secret"
)

// oauth2Proxy maps the oauth2-proxy component onto the chart's values: the
// emitted oauth2_proxy.cfg verbatim, the Secret references, the probes,
// the hardened security context, and the /oauth2/ route (a VirtualService,
// or an HTTPRoute on a Kubernetes Gateway) as an extra object of the release.
func (b *builder) oauth2Proxy(comp generators.Component) *yaml.RNode {
	s := b.c.Spec
	p := s.OAuth2Proxy
	dep, cm, vs := find(comp, "Deployment"), find(comp, "ConfigMap"), find(comp, "VirtualService")
	if vs == nil {
		vs = find(comp, "HTTPRoute") // spec.gateway.api: gateway-api
	}
	if dep == nil || cm == nil {
		b.refuse(o2pChart, "the oauth2-proxy component has no Deployment or ConfigMap (internal error)")
		return nil
	}
	pod := lookup(dep, "spec", "template", "spec")
	ctr := lookup(pod, "containers").Content()[0]
	container := yaml.NewRNode(ctr)

	v := yaml.NewMapRNode(nil)
	v.YNode().HeadComment = b.header("oauth2-proxy", "the oauth2-proxy meshauth configures (its oauth2_proxy.cfg, Secret references, probes, security context, the /oauth2/ route)")
	// The objects keep the names the rest of the stack points at: the
	// mesh provider and the /oauth2/ route name Service oauth2-proxy.
	set(v, "fullnameOverride", str(dep.GetName()))
	set(v, "namespaceOverride", str(p.Namespace))

	// image: the chart writes registry/repository:tag.
	set(v, "image", b.o2pImage(p.Image))
	if r := lookup(dep, "spec", "replicas"); r != nil {
		set(v, "replicaCount", r.Copy())
	}

	// config: the file meshauth emits, as is. The chart runs it through
	// tpl, so a literal "{{" is escaped.
	cfgText := ""
	if d := lookup(cm, "data", "oauth2_proxy.cfg"); d != nil {
		cfgText = d.YNode().Value
	}
	config := yaml.NewMapRNode(nil)
	env := lookup(container, "env")
	var extraEnv []*yaml.Node
	secretsFit := p.ClientSecretRef.Name == p.CookieSecretRef.Name &&
		p.ClientSecretRef.Key == o2pClientSecretKey && p.CookieSecretRef.Key == o2pCookieSecretKey
	if env != nil {
		for _, e := range env.Content() {
			name := yaml.NewRNode(e).Field("name").Value.YNode().Value
			if secretsFit && (name == "OAUTH2_PROXY_CLIENT_SECRET" || name == "OAUTH2_PROXY_COOKIE_SECRET") {
				continue // the chart's own env from config.existingSecret
			}
			extraEnv = append(extraEnv, yaml.CopyYNode(e))
		}
	}
	if secretsFit {
		set(config, "existingSecret", str(p.ClientSecretRef.Name))
		// client_id is in the config file, not a Secret.
		set(config, "requiredSecretKeys", yaml.NewListRNode(o2pCookieSecretKey, o2pClientSecretKey))
	} else {
		// The chart reads config.existingSecret under the fixed keys
		// client-secret and cookie-secret only: the references go in
		// extraEnv as they are, and the chart makes no Secret of its own.
		b.warn("oauth2-proxy chart: the client and cookie secret references (" + p.ClientSecretRef.Name + "/" + p.ClientSecretRef.Key + ", " + p.CookieSecretRef.Name + "/" + p.CookieSecretRef.Key + ") are not the chart's config.existingSecret layout (one Secret, keys client-secret and cookie-secret): written as extraEnv secretKeyRefs with proxyVarsAsSecrets: false")
		set(config, "requiredSecretKeys", yaml.NewListRNode())
	}
	lit := str(escapeTpl(cfgText))
	lit.YNode().Style = yaml.LiteralStyle
	set(config, "configFile", lit)
	set(v, "config", config)
	set(v, "proxyVarsAsSecrets", boolNode(secretsFit))
	if len(extraEnv) > 0 {
		l := yaml.NewListRNode()
		l.YNode().Content = extraEnv
		set(v, "extraEnv", l)
	}

	// args: the chart passes --http-address, --https-address (unused
	// without a certificate), --metrics-address and --config itself.
	if args := lookup(container, "args"); args != nil {
		var extra []string
		for _, a := range args.Content() {
			if !strings.HasPrefix(a.Value, o2pChartConfigArg) {
				extra = append(extra, a.Value)
			}
		}
		if len(extra) > 0 {
			set(v, "extraArgs", yaml.NewListRNode(extra...))
		}
	}

	// Volumes besides the config (the Redis CA bundle).
	var vols, mounts []*yaml.Node
	if l := lookup(pod, "volumes"); l != nil {
		for _, n := range l.Content() {
			if yaml.NewRNode(n).Field("name").Value.YNode().Value != "config" {
				vols = append(vols, yaml.CopyYNode(n))
			}
		}
	}
	if l := lookup(container, "volumeMounts"); l != nil {
		for _, n := range l.Content() {
			if yaml.NewRNode(n).Field("name").Value.YNode().Value != "config" {
				mounts = append(mounts, yaml.CopyYNode(n))
			}
		}
	}
	if len(vols) > 0 {
		l := yaml.NewListRNode()
		l.YNode().Content = vols
		set(v, "extraVolumes", l)
		l = yaml.NewListRNode()
		l.YNode().Content = mounts
		set(v, "extraVolumeMounts", l)
	}

	if svc := find(comp, "Service"); svc != nil {
		if port := lookup(svc, "spec", "ports"); port != nil && len(port.Content()) > 0 {
			set(v, "service", mapping("portNumber", yaml.NewRNode(yaml.CopyYNode(lookup(yaml.NewRNode(port.Content()[0]), "port").YNode()))))
		}
	}
	automount := lookup(pod, "automountServiceAccountToken")
	if automount != nil {
		set(v, "serviceAccount", mapping("automountServiceAccountToken", automount.Copy()))
	}
	if psc := lookup(pod, "securityContext"); psc != nil {
		set(v, "podSecurityContext", psc.Copy())
	}
	set(v, "securityContext", b.o2pSecurityContext(lookup(container, "securityContext"), lookup(pod, "securityContext")))
	set(v, "livenessProbe", b.o2pProbe(lookup(container, "livenessProbe"), "/ping", "livenessProbe", false))
	set(v, "readinessProbe", b.o2pProbe(lookup(container, "readinessProbe"), "/ready", "readinessProbe", true))
	if r := lookup(container, "resources"); r != nil {
		set(v, "resources", r.Copy())
	}
	pdb := find(comp, "PodDisruptionBudget")
	pdbValues := mapping("enabled", boolNode(pdb != nil))
	if pdb != nil {
		if m := lookup(pdb, "spec", "minAvailable"); m != nil {
			set(pdbValues, "minAvailable", m.Copy())
		}
	}
	set(v, "podDisruptionBudget", pdbValues)

	// The /oauth2/ route on the gateway rides with the release. The
	// chart passes extraObjects through tpl too.
	if vs != nil {
		text, err := vs.String()
		if err != nil {
			b.refuse(o2pChart+": extraObjects", err.Error())
		} else {
			obj, err := yaml.Parse(escapeTpl(text))
			if err != nil {
				b.refuse(o2pChart+": extraObjects", err.Error())
			} else {
				l := yaml.NewListRNode()
				l.YNode().Content = []*yaml.Node{obj.YNode()}
				set(v, "extraObjects", l)
			}
		}
	}
	return v
}

// o2pImage splits an image reference into the chart's registry, repository
// and tag. A digest has no place in the chart's template.
func (b *builder) o2pImage(image string) *yaml.RNode {
	if strings.Contains(image, "@") {
		b.refuse(o2pChart+": image.tag", "spec.oauth2Proxy.image "+image+" is pinned by digest, and the chart writes the image as registry/repository:tag (no digest); use a tag, or render the kustomize components")
		return nil
	}
	registry, rest := "docker.io", image
	if i := strings.IndexByte(image, '/'); i > 0 && strings.ContainsAny(image[:i], ".:") {
		registry, rest = image[:i], image[i+1:]
	} else if i < 0 {
		rest = "library/" + image
	}
	repo, tag := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		repo, tag = rest[:i], rest[i+1:]
	}
	if tag == "" {
		b.refuse(o2pChart+": image.tag", "spec.oauth2Proxy.image "+image+" has no tag, and an empty image.tag makes the chart pick its own appVersion; give the image a tag")
		return nil
	}
	return mapping("registry", str(registry), "repository", str(repo), "tag", str(tag))
}

// o2pSecurityContext is the emitted container security context, with the
// user and group the pod context sets written out: the chart's defaults set
// runAsUser/runAsGroup 2000 on the container, which would win over the pod's.
func (b *builder) o2pSecurityContext(ctr, pod *yaml.RNode) *yaml.RNode {
	sc := mapping("enabled", boolNode(true))
	if ctr != nil {
		for i := 0; i+1 < len(ctr.YNode().Content); i += 2 {
			set(sc, ctr.YNode().Content[i].Value, yaml.NewRNode(yaml.CopyYNode(ctr.YNode().Content[i+1])))
		}
	}
	for _, k := range []string{"runAsUser", "runAsGroup", "seccompProfile"} {
		if sc.Field(k) != nil {
			continue
		}
		if pv := lookup(pod, k); pv != nil {
			set(sc, k, pv.Copy())
		} else {
			b.refuse(o2pChart+": securityContext."+k, "the chart sets a default the emitted pod does not state (internal error)")
		}
	}
	return sc
}

// o2pProbe maps an emitted probe onto the chart's probe values; the chart
// fixes the path and port.
func (b *builder) o2pProbe(probe *yaml.RNode, path, key string, period bool) *yaml.RNode {
	if probe == nil {
		return mapping("enabled", boolNode(false))
	}
	if got := lookup(probe, "httpGet", "path"); got == nil || got.YNode().Value != path {
		b.refuse(o2pChart+": "+key, "the chart probes "+path+" only (internal error: the emitted probe differs)")
	}
	v := mapping("enabled", boolNode(true), "initialDelaySeconds", intNode(0))
	if t := lookup(probe, "timeoutSeconds"); t != nil {
		set(v, "timeoutSeconds", t.Copy())
	}
	if p := lookup(probe, "periodSeconds"); p != nil {
		if period {
			set(v, "periodSeconds", p.Copy())
		} else if p.YNode().Value != "10" {
			b.refuse(o2pChart+": "+key+".periodSeconds", "the chart has no such key (Kubernetes' default 10 s applies) (internal error)")
		}
	}
	return v
}
