package helmvalues

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/generators"
	"meshauth.dev/meshauth/internal/versions"
)

const dexChart = "dex chart"

// dex maps the dex-clients component onto the Dex chart's values: its
// config (the user's own, or the Kubeflow baseline the components assume,
// with meshauth's static clients merged in by the generator's own patch)
// and the client secrets as envVars secretKeyRefs. user is the user's own
// Dex values file, kept whole except for what meshauth sets.
func (b *builder) dex(comp generators.Component, user []byte) *yaml.RNode {
	d := b.c.Spec.Dex
	var cfgPatch, envPatch generators.Patch
	for _, p := range comp.Patches {
		switch p.Target().Kind {
		case "ConfigMap":
			cfgPatch = p
		case "Deployment":
			envPatch = p
		}
	}
	if cfgPatch == nil || envPatch == nil {
		b.refuse(dexChart, "the dex-clients component has no config or env patch (internal error)")
		return nil
	}

	v := yaml.NewMapRNode(nil)
	baseline := len(user) == 0
	b.dexBaseline = baseline
	if !baseline {
		u, err := yaml.Parse(string(user))
		if err != nil || u.YNode().Kind != yaml.MappingNode {
			b.refuse("--dex-values", "not a YAML mapping of Dex chart values: "+errText(err))
			return nil
		}
		v = u
		if c := lookup(v, "configSecret", "create"); c != nil && c.YNode().Value == "false" {
			b.refuse(dexChart+": configSecret.create", "is false in your values, so the chart mounts an existing Secret and ignores config: meshauth's static clients would never reach Dex; set it to true (the default) and move that Secret's config.yaml under config:")
		}
		b.dexLiteralSecrets(lookup(v, "config"), "config")
	}
	v.YNode().HeadComment = b.header("Dex", "Dex's config with meshauth's static clients merged in, and their client secrets as secretKeyRef env")

	// config: merge through the generator's patch on a stand-in ConfigMap.
	cm := generators.Fields("apiVersion", "v1", "kind", "ConfigMap")
	var base string
	if baseline {
		kp, err := cfgPatch.Kustomize()
		if err != nil {
			b.refuse(dexChart+": config", err.Error())
			return nil
		}
		obj, err := yaml.Parse(kp.Patch)
		if err != nil {
			b.refuse(dexChart+": config", err.Error())
			return nil
		}
		base = lookup(obj, "data", "config.yaml").YNode().Value
		b.warn("dex chart: no --dex-values given: config is the Dex config kubeflow/manifests ships (a static user whose hash Dex reads from DEX_USER_PASSWORD, Kubeflow's own client from OIDC_CLIENT_ID/OIDC_CLIENT_SECRET; the values take them from the Secrets dex-passwords and dex-oidc-client, as Kubeflow does) plus meshauth's clients; give your own values with --dex-values to keep your connectors instead")
	} else if c := lookup(v, "config"); c != nil {
		text, err := c.String()
		if err != nil {
			b.refuse(dexChart+": config", err.Error())
			return nil
		}
		base = text
	}
	if err := cm.PipeE(yaml.SetField("data", mapping("config.yaml", str(base)))); err != nil {
		b.refuse(dexChart+": config", err.Error())
		return nil
	}
	if err := cfgPatch.Apply(cm); err != nil {
		b.refuse(dexChart+": config", err.Error())
		return nil
	}
	merged, err := yaml.Parse(lookup(cm, "data", "config.yaml").YNode().Value)
	if err != nil {
		b.refuse(dexChart+": config", err.Error())
		return nil
	}

	// Names: the chart names its Service (and Deployment) fullname; the
	// issuer URL meshauth uses everywhere must reach it.
	svc, ns, port := dexService(d.IssuerURL, d.Namespace)
	if svc != "" {
		b.need(v, dexChart, "fullnameOverride", str(svc), "the issuer "+d.IssuerURL+" names Service "+svc)
	}
	if ns != "" && ns != d.Namespace {
		b.refuse(dexChart+": namespaceOverride", "spec.dex.issuerURL names namespace "+ns+" but spec.dex.namespace is "+d.Namespace+"; make them agree")
	}
	b.need(v, dexChart, "namespaceOverride", str(d.Namespace), "spec.dex.namespace is "+d.Namespace)
	if svc != "" {
		if u, _ := url.Parse(d.IssuerURL); u != nil && u.Scheme == "https" {
			if e := lookup(v, "https", "enabled"); e == nil || e.YNode().Value != "true" {
				b.refuse(dexChart+": https.enabled", "the issuer "+d.IssuerURL+" is HTTPS on Dex's own Service, and the chart serves HTTPS only with https.enabled and a certificate you mount (config.web.tlsCert/tlsKey, volumes): put those in your values (--dex-values), or use an http:// in-cluster issuer")
			}
			b.need(v, dexChart, "service.ports.https.port", intNode(int64(port)), "the issuer's port")
		} else {
			b.need(v, dexChart, "service.ports.http.port", intNode(int64(port)), "the issuer's port")
		}
	}
	if lookup(v, "image", "tag") == nil && lookup(v, "image", "digest") == nil {
		// The chart's appVersion is older than the Dex meshauth is tested with.
		if err := v.PipeE(yaml.LookupCreate(yaml.MappingNode, "image"), yaml.SetField("tag", str(versions.Dex))); err != nil {
			b.refuse(dexChart+": image.tag", err.Error())
		}
	}
	set(v, "config", merged)

	// envVars: the generator's env patch on a stand-in Deployment holding
	// the user's envVars, so theirs are kept and ours replace same names.
	dep := generators.Fields("apiVersion", "apps/v1", "kind", "Deployment")
	ctr := generators.Fields("name", d.Container)
	if ev := lookup(v, "envVars"); ev != nil {
		set(ctr, "env", ev.Copy())
	}
	containers := yaml.NewListRNode()
	containers.YNode().Content = []*yaml.Node{ctr.YNode()}
	if err := dep.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec", "template", "spec"), yaml.SetField("containers", containers)); err != nil {
		b.refuse(dexChart+": envVars", err.Error())
		return nil
	}
	if err := envPatch.Apply(dep); err != nil {
		b.refuse(dexChart+": envVars", err.Error())
		return nil
	}
	set(v, "envVars", lookup(ctr, "env").Copy())
	if baseline {
		// What Kubeflow's Dex Deployment gives the baseline config.
		set(v, "envFrom", yaml.MustParse("- secretRef:\n    name: dex-oidc-client\n- secretRef:\n    name: dex-passwords\n"))
		set(v, "podSecurityContext", yaml.MustParse("runAsNonRoot: true\nseccompProfile:\n  type: RuntimeDefault\n"))
		set(v, "securityContext", yaml.MustParse("allowPrivilegeEscalation: false\ncapabilities:\n  drop: [ALL]\nrunAsGroup: 1001\nrunAsNonRoot: true\nrunAsUser: 1001\n"))
	}
	return v
}

// need sets a dotted key meshauth depends on, refusing a different value the
// user's values already hold.
func (b *builder) need(v *yaml.RNode, chart, key string, want *yaml.RNode, why string) {
	path := strings.Split(key, ".")
	if have := lookup(v, path...); have != nil && have.YNode().Value != want.YNode().Value {
		b.refuse(chart+": "+key, "your values set "+have.YNode().Value+", but "+why+" ("+want.YNode().Value+"); drop it from your values or change the AuthConfig")
		return
	}
	if err := v.PipeE(yaml.LookupCreate(yaml.MappingNode, path[:len(path)-1]...), yaml.SetField(path[len(path)-1], want)); err != nil {
		b.refuse(chart+": "+key, err.Error())
	}
}

// dexService resolves an in-cluster issuer URL to Dex's Service name,
// namespace and port; svc is "" for an issuer outside the cluster.
func dexService(issuer, defaultNS string) (svc, ns string, port int) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", "", 0
	}
	// The in-cluster forms outputcheck also resolves: name.namespace(.svc(.cluster.local)), name.
	host := strings.TrimSuffix(strings.TrimSuffix(u.Hostname(), ".svc.cluster.local"), ".svc")
	switch parts := strings.Split(host, "."); len(parts) {
	case 1:
		svc, ns = parts[0], defaultNS
	case 2:
		svc, ns = parts[0], parts[1]
	default:
		return "", "", 0
	}
	port = 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	return svc, ns, port
}

// envRef is a value Dex expands from the environment ($NAME or ${NAME}); a
// bcrypt hash ($2y$...) is not one.
var envRef = regexp.MustCompile(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$`)

// dexSecretKeys are Dex config keys that hold a secret when written literally.
var dexSecretKeys = map[string]string{
	"clientSecret": "write $ENV_NAME (Dex expands it) and give the env from a Secret in envVars",
	"bindPW":       "write $ENV_NAME (Dex expands it) and give the env from a Secret in envVars",
	"password":     "write $ENV_NAME (Dex expands it) and give the env from a Secret in envVars",
	"secret":       "use secretEnv with the env from a Secret in envVars",
	"hash":         "use hashFromEnv with the env from a Secret in envVars (or envFrom)",
}

// dexLiteralSecrets refuses secrets written into the user's Dex values:
// meshauth writes the values back out, and values never carry a secret.
func (b *builder) dexLiteralSecrets(n *yaml.RNode, path string) {
	if n == nil {
		return
	}
	switch n.YNode().Kind {
	case yaml.MappingNode:
		c := n.YNode().Content
		for i := 0; i+1 < len(c); i += 2 {
			k, val := c[i].Value, c[i+1]
			p := path + "." + k
			if fix, ok := dexSecretKeys[k]; ok && val.Kind == yaml.ScalarNode && val.Value != "" && !envRef.MatchString(val.Value) {
				b.refuse(dexChart+": "+p, "holds a literal secret, and meshauth writes these values back out (values never carry a secret); "+fix)
				continue
			}
			b.dexLiteralSecrets(yaml.NewRNode(val), p)
		}
	case yaml.SequenceNode:
		for i, e := range n.YNode().Content {
			b.dexLiteralSecrets(yaml.NewRNode(e), path+"["+strconv.Itoa(i)+"]")
		}
	}
}

func errText(err error) string {
	if err == nil {
		return "got another kind of document"
	}
	return err.Error()
}
