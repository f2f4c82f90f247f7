package importer

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
)

// o2pFacts is oauth2-proxy as the install runs it: its options merged the
// way oauth2-proxy merges them (flags over environment over the config
// file), its workload and where each option came from.
type o2pFacts struct {
	namespace, image string
	replicas         *int32
	deployment       string // object id, "" when only a ConfigMap was found
	options          map[string]option
	// shadowed are secrets written in the config file that the environment
	// or a flag overrides: still a secret in a ConfigMap.
	shadowed []option
	// pod and container are the Deployment's, for files the options name.
	pod       *corev1.PodSpec
	container *corev1.Container
}

// option is one oauth2-proxy option's effective value.
type option struct {
	kind   outputcheck.OptionKind
	str    string   // string, bool, int and duration options (canonical)
	list   []string // list options
	secret *api.SecretKeyRef
	// written: a secret option whose value is written in the object itself.
	written        bool
	object, field  string
	secretNS, from string
}

func (op option) value() string {
	switch {
	case op.secret != nil:
		return "from Secret " + op.secretNS + "/" + op.secret.Name + " key " + op.secret.Key
	case op.written:
		return "written in " + op.object
	case op.kind == outputcheck.OptionList:
		l := make([]string, len(op.list))
		for i, e := range op.list {
			l[i] = redactURL(e)
		}
		return "[" + list(l) + "]"
	}
	return redactURL(op.str)
}

// redactURL hides a password written into a URL (redis://:pw@host).
func redactURL(s string) string {
	if !strings.Contains(s, "@") || !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
		return u.String()
	}
	return s
}

// secretOptions never have their values read: import names where they are.
var secretOptions = map[string]bool{"client_secret": true, "cookie_secret": true, "redis_password": true, "redis_sentinel_password": true, "basic_auth_password": true}

// oauth2ProxyDefaults are oauth2-proxy v7.15's own defaults for the options
// meshauth writes or reads: an install that leaves one unset gets this.
var oauth2ProxyDefaults = map[string]string{
	"cookie_expire": "168h0m0s", "cookie_refresh": "0s", "cookie_secure": "true", "cookie_samesite": "",
	"cookie_name": "_oauth2_proxy", "scope": "openid email profile", "prompt": "", "session_store_type": "cookie",
	"skip_auth_routes": "[]", "api_routes": "[]", "email_domains": "[]", "set_authorization_header": "false",
	"set_xauthrequest": "false", "skip_jwt_bearer_tokens": "false", "extra_jwt_issuers": "[]",
	"oidc_email_claim": "email", "oidc_groups_claim": "groups", "insecure_oidc_allow_unverified_email": "false",
	"skip_oidc_discovery": "false", "reverse_proxy": "false", "provider": "google", "whitelist_domains": "[]",
	"code_challenge_method": "", "skip_provider_button": "false", "upstreams": "[]", "relative_redirect_url": "false",
	"http_address": "127.0.0.1:4180", "ssl_insecure_skip_verify": "false", "cookie_domains": "[]",
}

// readOAuth2Proxy finds oauth2-proxy's Deployment (by image, or by its
// flags) and the config it mounts; without a Deployment, a ConfigMap
// holding oauth2_proxy.cfg is read alone.
func readOAuth2Proxy(in *install, x *objects) {
	var found []*deployment
	for _, byEnv := range []bool{false, true} {
		for _, d := range x.deployments {
			if len(found) == 0 || !byEnv {
				if o2pContainer(d.d, byEnv) != nil && !slices.Contains(found, d) {
					found = append(found, d)
				}
			}
		}
		if len(found) > 0 {
			break
		}
	}
	f := &o2pFacts{options: map[string]option{}}
	switch {
	case len(found) > 0:
		d := found[0]
		for _, extra := range found[1:] {
			in.cannot(extra.o.id, "spec.template.spec.containers", "a second oauth2-proxy Deployment: an AuthConfig describes one oauth2-proxy; only "+d.o.id+" was imported")
		}
		f.namespace, f.deployment, f.replicas = d.o.namespace, d.o.id, d.d.Spec.Replicas
		c := o2pContainer(d.d, true)
		f.image, f.pod, f.container = c.Image, &d.d.Spec.Template.Spec, c
		readO2PWorkload(in, x, f, d, c)
	default:
		for _, key := range sortedKeys(x.configMaps) {
			cm := x.configMaps[key]
			if text, ok := cm.Data["oauth2_proxy.cfg"]; ok {
				f.namespace = cm.Namespace
				readO2PConfig(in, f, x.cmObj[key].id, "data[oauth2_proxy.cfg]", text)
				in.note(x.cmObj[key].id, "", "no oauth2-proxy Deployment in the install: only its config file was read (flags and environment are not known)")
				break
			}
		}
	}
	if f.namespace == "" {
		return
	}
	in.o2p = f
	for name, op := range f.options {
		in.set("oauth2-proxy "+name, op.value(), op.object, op.field)
	}
	for name, def := range oauth2ProxyDefaults {
		if _, ok := f.options[name]; !ok {
			in.set("oauth2-proxy "+name, def, "", "")
		}
	}
}

// o2pContainer is the Deployment's oauth2-proxy container: its image says
// so, or (byEnv) oauth2-proxy's own environment does. Dex's Deployment also
// carries OAUTH2_PROXY_CLIENT_SECRET (meshauth's client secret env), so
// the environment is only asked when no image matched.
func o2pContainer(d *appsv1.Deployment, byEnv bool) *corev1.Container {
	cs := d.Spec.Template.Spec.Containers
	for i := range cs {
		c := &cs[i]
		if strings.Contains(c.Image, "oauth2-proxy") || strings.Contains(c.Image, "oauth2_proxy") {
			return c
		}
		if !byEnv || strings.Contains(c.Image, "dex") {
			continue
		}
		for _, a := range c.Args {
			if strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "--alpha-config") {
				return c
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func readO2PWorkload(in *install, x *objects, f *o2pFacts, d *deployment, c *corev1.Container) {
	ci := slices.IndexFunc(d.d.Spec.Template.Spec.Containers, func(cc corev1.Container) bool { return cc.Name == c.Name })
	at := idx("spec.template.spec.containers", ci)
	args := append(append([]string(nil), c.Command[min(1, len(c.Command)):]...), c.Args...)
	flags := map[string]option{}
	configPath, alphaPath := "", ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		field := at + ".args"
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			val, hasVal = args[i+1], true
			i++
		}
		switch name {
		case "config":
			configPath = val
			continue
		case "alpha-config":
			alphaPath = val
			continue
		}
		opt, kind, ok := optionName(name)
		if !ok {
			in.cannot(d.o.id, field, "oauth2-proxy flag --"+name+" is not an oauth2-proxy v7.15 option import knows; meshauth's oauth2-proxy will not have it")
			continue
		}
		if !hasVal {
			val = "true"
		}
		op, err := parseOption(kind, val, flags[opt])
		if err != nil {
			in.fail(d.o.id, field, "--"+name+": "+err.Error())
			continue
		}
		op.object, op.field = d.o.id, field
		flags[opt] = op
	}
	env := map[string]option{}
	for i, e := range c.Env {
		field := idx(at+".env", i)
		if !strings.HasPrefix(e.Name, "OAUTH2_PROXY_") {
			continue
		}
		opt, kind, ok := optionName(strings.ToLower(strings.TrimPrefix(e.Name, "OAUTH2_PROXY_")))
		if !ok {
			in.cannot(d.o.id, field, "environment variable "+e.Name+" is not an oauth2-proxy v7.15 option import knows")
			continue
		}
		var op option
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			op = option{kind: kind, secret: &api.SecretKeyRef{Name: ref.Name, Key: ref.Key}, secretNS: d.o.namespace}
			if !secretOptions[opt] && opt != "client_id" {
				in.note(d.o.id, field, opt+" comes from Secret "+d.o.namespace+"/"+ref.Name+" key "+ref.Key+", which import does not read")
			}
		case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm := x.configMaps[d.o.namespace+"/"+ref.Name]
			v, ok := "", false
			if cm != nil {
				v, ok = cm.Data[ref.Key]
			}
			if !ok {
				in.note(d.o.id, field, e.Name+" comes from ConfigMap "+d.o.namespace+"/"+ref.Name+" key "+ref.Key+", which is not in the install: "+opt+" is unknown")
				continue
			}
			p, err := parseOption(kind, v, option{})
			if err != nil {
				in.fail(objectID("ConfigMap", d.o.namespace, ref.Name), "data["+ref.Key+"]", e.Name+": "+err.Error())
				continue
			}
			op = p
		case e.ValueFrom != nil:
			in.cannot(d.o.id, field, e.Name+" comes from a field or resource reference: import cannot read it")
			continue
		default:
			if secretOptions[opt] {
				op = option{kind: kind, written: true}
				break
			}
			p, err := parseOption(kind, e.Value, option{})
			if err != nil {
				in.fail(d.o.id, field+".value", e.Name+": "+err.Error())
				continue
			}
			op = p
		}
		op.object, op.field = d.o.id, field
		env[opt] = op
	}
	if configPath != "" {
		if cm, key := mountedConfigMap(x, d, c, configPath); cm != nil {
			readO2PConfig(in, f, x.cmObj[cm.Namespace+"/"+cm.Name].id, "data["+key+"]", cm.Data[key])
		} else {
			in.note(d.o.id, at+".args", "--config="+configPath+" is not mounted from a ConfigMap in the install: its options are unknown")
		}
	}
	if alphaPath != "" {
		if cm, key := mountedConfigMap(x, d, c, alphaPath); cm != nil {
			readAlphaConfig(in, f, x.cmObj[cm.Namespace+"/"+cm.Name].id, "data["+key+"]", cm.Data[key])
		} else {
			in.note(d.o.id, at+".args", "--alpha-config="+alphaPath+" is not mounted from a ConfigMap in the install: its options are unknown")
		}
	}
	for k, v := range env {
		if old, ok := f.options[k]; ok && old.written {
			f.shadowed = append(f.shadowed, old)
		}
		f.options[k] = v
	}
	for k, v := range flags {
		f.options[k] = v
	}
}

// mountedAs is the name file has inside the volume m mounts (its subPath,
// or its base name under the mount's directory); ok is false when m does
// not mount file.
func mountedAs(m corev1.VolumeMount, file string) (name string, ok bool) {
	switch {
	case m.SubPath != "" && m.MountPath == file:
		return m.SubPath, true
	case m.SubPath == "" && path.Dir(file) == path.Clean(m.MountPath):
		return path.Base(file), true
	}
	return "", false
}

// projectedKey is the ConfigMap or Secret key a volume's items project to
// name (the last item naming it wins), or name itself.
func projectedKey(items []corev1.KeyToPath, name string) string {
	key := name
	for _, it := range items {
		if it.Path == name {
			key = it.Key
		}
	}
	return key
}

// mountedConfigMap finds the ConfigMap key mounted at file in container c.
func mountedConfigMap(x *objects, d *deployment, c *corev1.Container, file string) (*corev1.ConfigMap, string) {
	for _, m := range c.VolumeMounts {
		key, ok := mountedAs(m, file)
		if !ok {
			continue
		}
		for _, v := range d.d.Spec.Template.Spec.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			key := projectedKey(v.ConfigMap.Items, key)
			if cm := x.configMaps[d.o.namespace+"/"+v.ConfigMap.Name]; cm != nil {
				if _, ok := cm.Data[key]; ok {
					return cm, key
				}
			}
		}
	}
	return nil, ""
}

// readO2PConfig reads oauth2_proxy.cfg with the output checks' parser.
func readO2PConfig(in *install, f *o2pFacts, object, field, text string) {
	cfg, problems := outputcheck.OAuth2ProxyConfig(text)
	if cfg == nil {
		for _, p := range problems {
			in.fail(object, field, p.Message+"; fix the TOML so oauth2-proxy itself could read it")
		}
		return
	}
	// What the checks find in the file is in the report's notes (Import runs
	// the output checks over the whole install).
	for _, key := range sortedKeys(cfg) {
		kind, ok := outputcheck.OAuth2ProxyOption(key)
		if !ok {
			in.cannot(object, field+"."+key, "not an oauth2-proxy v7.15 option (oauth2-proxy refuses to start with it)")
			continue
		}
		if secretOptions[key] {
			f.options[key] = option{kind: kind, written: true, object: object, field: field + "." + key}
			continue
		}
		op, err := tomlOption(kind, cfg[key])
		if err != nil {
			continue // the checks above said why
		}
		op.object, op.field = object, field+"."+key
		f.options[key] = op
	}
}

func tomlOption(kind outputcheck.OptionKind, v any) (option, error) {
	switch x := v.(type) {
	case string:
		return parseOption(kind, x, option{})
	case bool:
		return option{kind: kind, str: strconv.FormatBool(x)}, nil
	case int64:
		if kind == outputcheck.OptionDuration {
			return option{kind: kind, str: time.Duration(x).String()}, nil
		}
		return option{kind: kind, str: strconv.FormatInt(x, 10)}, nil
	case []any:
		op := option{kind: kind, list: []string{}}
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return option{}, fmt.Errorf("not a list of strings")
			}
			op.list = append(op.list, s)
		}
		return op, nil
	}
	return option{}, fmt.Errorf("unexpected value")
}

// parseOption reads a flag or environment value; a repeated list flag adds
// to prev.
func parseOption(kind outputcheck.OptionKind, v string, prev option) (option, error) {
	op := option{kind: kind}
	switch kind {
	case outputcheck.OptionBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return op, fmt.Errorf("must be true or false, got %q", v)
		}
		op.str = strconv.FormatBool(b)
	case outputcheck.OptionInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return op, fmt.Errorf("must be a whole number, got %q", v)
		}
		op.str = strconv.FormatInt(n, 10)
	case outputcheck.OptionDuration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return op, fmt.Errorf("must be a duration such as 1h, got %q", v)
		}
		op.str = d.String()
	case outputcheck.OptionList:
		op.list = append([]string{}, prev.list...)
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				op.list = append(op.list, s)
			}
		}
	default:
		op.str = v
	}
	return op, nil
}

// optionName maps a flag or environment name to its config option: the
// flag spelling (dashes, often singular: --email-domain) to the config
// file's (email_domains).
func optionName(name string) (string, outputcheck.OptionKind, bool) {
	n := strings.ReplaceAll(name, "-", "_")
	for _, cand := range []string{n, n + "s", n + "es"} {
		if k, ok := outputcheck.OAuth2ProxyOption(cand); ok {
			return cand, k, true
		}
	}
	return "", "", false
}

// secretFile names the Secret key mounted at file in oauth2-proxy's
// container (a CA bundle), or nil.
func (f *o2pFacts) secretFile(file string) *api.SecretKeyRef {
	if f.pod == nil || f.container == nil {
		return nil
	}
	for _, m := range f.container.VolumeMounts {
		key, ok := mountedAs(m, file)
		if !ok {
			continue
		}
		for _, v := range f.pod.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			return &api.SecretKeyRef{Name: v.Secret.SecretName, Key: projectedKey(v.Secret.Items, key)}
		}
	}
	return nil
}
