package importer

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"

	"meshauth.dev/meshauth/checkserver/pathmatch"
	"meshauth.dev/meshauth/fn/outputcheck"
)

// meshFacts is the mesh ConfigMap and its ext_authz providers.
type meshFacts struct {
	namespace, name, key, object string
	providers                    []*meshv1alpha1.MeshConfig_ExtensionProvider
}

// policyFacts is a CUSTOM or DENY AuthorizationPolicy.
type policyFacts struct {
	object, namespace, name string
	action                  string
	provider                string
	selector                map[string]string
	notPaths                []string
	skipsBearer             bool // CUSTOM: only requests without Authorization
	requireJWT              bool // DENY: notRequestPrincipals ["*"]
	classifier              bool // meshauth's public-path condition
	meshauth                bool
}

// jwtFacts is one RequestAuthentication jwtRule.
type jwtFacts struct {
	object, field string
	selector      map[string]string
	rule          *securityv1beta1.JWTRule
}

// routeFacts is what the VirtualServices say about the stack's routes.
type routeFacts struct {
	oauth2Gateways []string
	// logoutVS is the VirtualService holding the logout redirect, or the
	// dashboard's catch-all route.
	logoutVS, dashboardVS []string // namespace, name
}

type istiodFacts struct {
	namespace, name, container string
}

const meshauthLabel = "app.kubernetes.io/managed-by"

func readMesh(in *install, x *objects) {
	for _, key := range sortedKeys(x.configMaps) {
		cm := x.configMaps[key]
		text, ok := cm.Data["mesh"]
		if !ok || (cm.Name != "istio" && !strings.HasPrefix(cm.Name, "istio-")) {
			continue
		}
		o := x.cmObj[key]
		mc, problems := outputcheck.MeshConfig(text)
		if mc == nil {
			for _, p := range problems {
				in.fail(o.id, "data[mesh]"+dotted(p.Field), p.Message+"; fix the mesh config (istiod cannot read it either)")
			}
			continue
		}
		if in.mesh != nil {
			in.cannot(o.id, "data[mesh]", "a second mesh ConfigMap (a revisioned control plane?): only "+in.mesh.object+" was imported")
			continue
		}
		in.mesh = &meshFacts{namespace: cm.Namespace, name: cm.Name, key: "mesh", object: o.id, providers: mc.GetExtensionProviders()}
	}
}

// meshSettings records the settings of the provider the CUSTOM policy
// names, once the policies are known; other providers are the mesh's own.
func meshSettings(in *install, provider string) {
	m := in.mesh
	if m == nil {
		return
	}
	for i, p := range m.providers {
		at := idx("data[mesh].extensionProviders", i)
		if p.GetName() != provider {
			if p.GetEnvoyExtAuthzHttp() != nil || p.GetEnvoyExtAuthzGrpc() != nil {
				in.set("mesh other ext_authz provider "+p.GetName(), "kept", m.object, at)
			}
			continue
		}
		put := func(k, v, f string) { in.set("mesh provider "+k, v, m.object, at+"."+f) }
		timeout := func(d interface{ AsDuration() time.Duration }, set bool) string {
			if !set {
				return "600s (Istio's default, unset)"
			}
			return d.AsDuration().String()
		}
		switch {
		case p.GetEnvoyExtAuthzHttp() != nil:
			h := p.GetEnvoyExtAuthzHttp()
			put("type", "envoyExtAuthzHttp", "envoyExtAuthzHttp")
			put("service", h.GetService(), "envoyExtAuthzHttp.service")
			put("port", strconv.Itoa(int(h.GetPort())), "envoyExtAuthzHttp.port")
			put("timeout", timeout(h.GetTimeout(), h.GetTimeout() != nil), "envoyExtAuthzHttp.timeout")
			put("includeRequestHeadersInCheck", setOf(append(h.GetIncludeRequestHeadersInCheck(), h.GetIncludeHeadersInCheck()...)), "envoyExtAuthzHttp.includeRequestHeadersInCheck")
			put("headersToUpstreamOnAllow", setOf(h.GetHeadersToUpstreamOnAllow()), "envoyExtAuthzHttp.headersToUpstreamOnAllow")
			put("headersToDownstreamOnDeny", setOf(h.GetHeadersToDownstreamOnDeny()), "envoyExtAuthzHttp.headersToDownstreamOnDeny")
			put("headersToDownstreamOnAllow", setOf(h.GetHeadersToDownstreamOnAllow()), "envoyExtAuthzHttp.headersToDownstreamOnAllow")
			put("pathPrefix", h.GetPathPrefix(), "envoyExtAuthzHttp.pathPrefix")
			put("failOpen", boolStr(h.GetFailOpen()), "envoyExtAuthzHttp.failOpen")
			put("statusOnError", h.GetStatusOnError(), "envoyExtAuthzHttp.statusOnError")
			if len(h.GetIncludeAdditionalHeadersInCheck()) > 0 {
				put("includeAdditionalHeadersInCheck", setOf(sortedKeys(h.GetIncludeAdditionalHeadersInCheck())), "envoyExtAuthzHttp.includeAdditionalHeadersInCheck")
			}
		case p.GetEnvoyExtAuthzGrpc() != nil:
			g := p.GetEnvoyExtAuthzGrpc()
			put("type", "envoyExtAuthzGrpc", "envoyExtAuthzGrpc")
			put("service", g.GetService(), "envoyExtAuthzGrpc.service")
			put("port", strconv.Itoa(int(g.GetPort())), "envoyExtAuthzGrpc.port")
			put("timeout", timeout(g.GetTimeout(), g.GetTimeout() != nil), "envoyExtAuthzGrpc.timeout")
			put("failOpen", boolStr(g.GetFailOpen()), "envoyExtAuthzGrpc.failOpen")
		default:
			put("type", "not ext_authz", "")
		}
	}
}

func readPolicies(in *install, x *objects) {
	for _, o := range x.ofKind("security.istio.io", "AuthorizationPolicy") {
		var ap securityv1beta1.AuthorizationPolicy
		if !readSpec(in, o, &ap, "AuthorizationPolicy") {
			continue
		}
		if ap.GetAction() != securityv1beta1.AuthorizationPolicy_CUSTOM && ap.GetAction() != securityv1beta1.AuthorizationPolicy_DENY {
			continue
		}
		p := policyFacts{object: o.id, namespace: o.namespace, name: o.name, action: ap.GetAction().String(),
			provider: ap.GetProvider().GetName(), selector: ap.GetSelector().GetMatchLabels(),
			meshauth: o.node.GetLabels()[meshauthLabel] == "meshauth"}
		if p.meshauth && o.name == accessPolicyName {
			in.set("access rules", "present", o.id, "spec.rules")
			continue
		}
		for i, r := range ap.GetRules() {
			rat := idx("spec.rules", i)
			for j, t := range r.GetTo() {
				op := t.GetOperation()
				p.notPaths = append(p.notPaths, op.GetNotPaths()...)
				oat := idx(rat+".to", j) + ".operation"
				for _, f := range []struct {
					name string
					v    []string
				}{{"paths", op.GetPaths()}, {"hosts", notStar(op.GetHosts())}, {"notHosts", op.GetNotHosts()}, {"methods", op.GetMethods()}, {"notMethods", op.GetNotMethods()}, {"ports", op.GetPorts()}, {"notPorts", op.GetNotPorts()}} {
					if len(f.v) > 0 {
						in.cannot(o.id, oat+"."+f.name, "a "+p.action+" rule on "+f.name+" "+list(f.v)+": meshauth's policy matches every host and method; an AuthConfig cannot narrow it")
					}
				}
			}
			for j, f := range r.GetFrom() {
				s := f.GetSource()
				if slices.Equal(s.GetNotRequestPrincipals(), []string{"*"}) && p.action == "DENY" {
					p.requireJWT = true
					continue
				}
				in.cannot(o.id, idx(rat+".from", j)+".source", "a "+p.action+" rule on the request's source: an AuthConfig cannot say it")
			}
			for j, w := range r.GetWhen() {
				switch {
				case w.GetKey() == "request.headers[authorization]" && slices.Equal(w.GetNotValues(), []string{"*"}):
					p.skipsBearer = true
				case strings.HasPrefix(w.GetKey(), "experimental.envoy.filters.http.rbac["):
					p.classifier = true
				case p.meshauth && w.GetKey() == "request.headers["+emailVerifiedHeader+"]":
					// meshauth's own refusal of email_verified: false, which
					// spec.oidc.allowUnverifiedEmail decides.
				default:
					in.cannot(o.id, idx(rat+".when", j), "condition on "+w.GetKey()+": an AuthConfig cannot say it")
				}
			}
		}
		in.policies = append(in.policies, p)
	}
}

func notStar(l []string) []string {
	if slices.Equal(l, []string{"*"}) {
		return nil
	}
	return l
}

// policySettings records the policies on the gateway of the CUSTOM policy
// that names provider.
func policySettings(in *install, custom *policyFacts) {
	if custom == nil {
		return
	}
	in.set("gateway namespace", custom.namespace, custom.object, "metadata.namespace")
	in.set("gateway selector", labels(custom.selector), custom.object, "spec.selector.matchLabels")
	in.set("CUSTOM provider", custom.provider, custom.object, "spec.provider.name")
	in.set("CUSTOM asks only requests without Authorization", boolStr(custom.skipsBearer), custom.object, "spec.rules[0].when")
	public, classifier := publicPaths(in, custom)
	in.set("public paths", public, custom.object, "spec.rules[0].to[0].operation.notPaths")
	deny := "none"
	for _, p := range in.policies {
		if p.action == "DENY" && p.requireJWT && p.namespace == custom.namespace && labels(p.selector) == labels(custom.selector) {
			deny = "requires a verified JWT outside " + strings.Join(exempt(p.notPaths, classifier), ", ")
			in.set("DENY without a verified JWT", deny, p.object, "spec.rules")
		}
	}
	if deny == "none" {
		in.set("DENY without a verified JWT", deny, "", "")
	}
}

// exempt names what a policy leaves out: its notPaths, and the classifier's
// public paths.
func exempt(notPaths []string, classifier string) []string {
	out := slices.Clone(notPaths)
	if classifier != "" {
		out = append(out, "plain paths under "+classifier)
	}
	slices.Sort(out)
	return out
}

// publicPaths says which paths skip the CUSTOM check, and how: by notPaths
// (any path starting so) or by meshauth's classifier (plain paths only).
func publicPaths(in *install, custom *policyFacts) (string, string) {
	var prefixes []string
	for _, p := range custom.notPaths {
		if p == "/oauth2/*" || p == "/oauth2/**" {
			continue
		}
		prefixes = append(prefixes, strings.TrimRight(p, "*"))
	}
	slices.Sort(prefixes)
	prefixes = slices.Compact(prefixes)
	var out []string
	if len(prefixes) > 0 {
		out = append(out, "any path under "+list(prefixes)+" (notPaths)")
	}
	cls := ""
	if in.cs.authorizes(in, custom.provider) {
		if sp := in.cs.skipPaths(); len(sp) > 0 {
			slices.Sort(sp)
			out = append(out, "plain paths under "+list(sp)+" (check-server skipAuthPaths)")
		}
	}
	if custom.classifier && in.classifier != nil {
		cls = list(in.classifier)
		out = append(out, "plain paths under "+cls+" (meshauth-public-paths)")
	}
	if len(out) == 0 {
		return "none", ""
	}
	return strings.Join(out, "; "), cls
}

func labels(m map[string]string) string {
	var l []string
	for _, k := range sortedKeys(m) {
		l = append(l, k+"="+m[k])
	}
	return list(l)
}

func readJWT(in *install, x *objects) {
	for _, o := range x.ofKind("security.istio.io", "RequestAuthentication") {
		var ra securityv1beta1.RequestAuthentication
		if !readSpec(in, o, &ra, "RequestAuthentication") {
			continue
		}
		for i, r := range ra.GetJwtRules() {
			at := idx("spec.jwtRules", i)
			in.jwt = append(in.jwt, jwtFacts{object: o.id, field: at, selector: ra.GetSelector().GetMatchLabels(), rule: r})
		}
	}
	// Several rules of one issuer (login and machine audiences) are told
	// apart by their audiences, not by where they were written.
	slices.SortStableFunc(in.jwt, func(a, b jwtFacts) int {
		return strings.Compare(a.rule.GetIssuer()+"\x00"+setOf(a.rule.GetAudiences()), b.rule.GetIssuer()+"\x00"+setOf(b.rule.GetAudiences()))
	})
	seen := map[string]int{}
	for _, j := range in.jwt {
		r, at := j.rule, j.field
		seen[r.GetIssuer()]++
		k := "jwt " + r.GetIssuer() + " "
		if n := seen[r.GetIssuer()]; n > 1 {
			k = "jwt " + r.GetIssuer() + " (" + strconv.Itoa(n) + ") "
		}
		set := func(key, value, field string) { in.set(k+key, value, j.object, at+"."+field) }
		set("audiences", setOf(r.GetAudiences()), "audiences")
		jwks := r.GetJwksUri()
		if jwks == "" {
			jwks = "discovery"
		}
		set("jwksUri", jwks, "jwksUri")
		var claims []string
		for _, c := range r.GetOutputClaimToHeaders() {
			if c.GetClaim() == "email_verified" {
				// meshauth's flag for the DENY rule (spec.oidc.allowUnverifiedEmail).
				continue
			}
			claims = append(claims, strings.ToLower(c.GetHeader())+"="+c.GetClaim())
		}
		slices.Sort(claims)
		set("outputClaimToHeaders", list(claims), "outputClaimToHeaders")
		set("forwardOriginalToken", boolStr(r.GetForwardOriginalToken()), "forwardOriginalToken")
		var from []string
		for _, h := range r.GetFromHeaders() {
			from = append(from, strings.ToLower(h.GetName())+" "+strconv.Quote(h.GetPrefix()))
		}
		if len(from) == 0 {
			from = []string{"authorization \"Bearer \" and access_token (Istio's default)"}
		}
		set("fromHeaders", list(from)+plusParams(r.GetFromParams()), "fromHeaders")
	}
}

func plusParams(ps []string) string {
	if len(ps) == 0 {
		return ""
	}
	return "; params " + list(ps)
}

func (in *install) settingsWithPrefix(p string) []string {
	var out []string
	for k := range in.settings {
		if strings.HasPrefix(k, p) {
			out = append(out, k)
		}
	}
	return out
}

func readRoutes(in *install, x *objects) {
	for _, o := range x.ofKind("networking.istio.io", "VirtualService") {
		var vs networkingv1alpha3.VirtualService
		if !readSpec(in, o, &vs, "VirtualService") {
			continue
		}
		for i, h := range vs.GetHttp() {
			at := idx("spec.http", i)
			for _, m := range h.GetMatch() {
				u := m.GetUri()
				switch {
				case u.GetPrefix() == "/oauth2/" || u.GetPrefix() == "/oauth2":
					if r := h.GetRoute(); len(r) > 0 {
						d := r[0].GetDestination()
						in.set("route /oauth2/", d.GetHost()+":"+strconv.Itoa(int(d.GetPort().GetNumber())), o.id, at+".route[0].destination")
						in.routes.oauth2Gateways = vs.GetGateways()
					}
				case u.GetExact() != "" && in.has("logout "+u.GetExact()):
					// an earlier route already answers this path
				case u.GetExact() != "" && h.GetRedirect() != nil && strings.Contains(h.GetRedirect().GetUri(), "/oauth2/sign_out"):
					in.set("logout "+u.GetExact(), h.GetRedirect().GetUri(), o.id, at+".redirect")
					in.routes.logoutVS = []string{o.namespace, o.name}
				case u.GetExact() != "" && h.GetRewrite() != nil && strings.Contains(h.GetRewrite().GetUri(), "/oauth2/sign_out"):
					in.set("logout "+u.GetExact(), "rewrite "+h.GetRewrite().GetUri(), o.id, at+".rewrite")
					in.routes.logoutVS = []string{o.namespace, o.name}
				case u.GetPrefix() == "/" && len(h.GetRoute()) > 0 && strings.Contains(h.GetRoute()[0].GetDestination().GetHost(), "dashboard"):
					in.routes.dashboardVS = []string{o.namespace, o.name}
				}
			}
		}
	}
}

func readIstiod(in *install, x *objects) {
	for _, d := range x.deployments {
		for i, c := range d.d.Spec.Template.Spec.Containers {
			if c.Name != "discovery" && !strings.Contains(c.Image, "pilot") {
				continue
			}
			in.istiod = &istiodFacts{namespace: d.o.namespace, name: d.o.name, container: c.Name}
			v := "20m0s (Istio's default, unset)"
			field := ""
			for j, e := range c.Env {
				if e.Name == "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL" {
					v, field = e.Value, idx(idx("spec.template.spec.containers", i)+".env", j)
					if dd, err := time.ParseDuration(e.Value); err == nil {
						v = dd.String()
					}
				}
			}
			in.set("istiod PILOT_JWT_PUB_KEY_REFRESH_INTERVAL", v, d.o.id, field)
			return
		}
	}
}

// accessPolicyName and emailVerifiedHeader are meshauth's own DENY policy
// of the access rules (docs/access.md) and the header its email_verified
// rule reads: settings it renders, not a user's.
const (
	accessPolicyName    = "istio-ingressgateway-access"
	emailVerifiedHeader = "x-meshauth-email-verified"
)

// readEnvoyFilters: meshauth's own EnvoyFilters are settings it renders;
// anybody else's patch of the gateway's filter chain is not expressible.
func readEnvoyFilters(in *install, x *objects) {
	for _, o := range x.ofKind("networking.istio.io", "EnvoyFilter") {
		var ef networkingv1alpha3.EnvoyFilter
		if !readSpec(in, o, &ef, "EnvoyFilter") {
			continue
		}
		if o.node.GetLabels()[meshauthLabel] == "meshauth" {
			in.set("envoyfilter "+o.name, "present", o.id, "")
			if o.name == "meshauth-public-paths" && len(ef.GetConfigPatches()) > 0 {
				in.classifier = classifierPrefixes(ef.GetConfigPatches()[0].GetPatch().GetValue())
			}
			continue
		}
		for i, cp := range ef.GetConfigPatches() {
			name := ""
			if v := cp.GetPatch().GetValue().GetFields()["name"]; v != nil {
				name = v.GetStringValue()
			}
			what := cp.GetApplyTo().String()
			if name != "" {
				what += " " + name
			}
			in.cannot(o.id, idx("spec.configPatches", i)+".patch.value", "EnvoyFilter patch ("+what+"): meshauth emits no such filter and an AuthConfig cannot carry it; keep the EnvoyFilter beside meshauth's output and check it still applies")
		}
	}
}

// classifierPrefixes reads the public prefixes back from the classifier's
// regex, which is pathmatch.Pattern of them.
func classifierPrefixes(v *structpb.Struct) []string {
	cur := structpb.NewStructValue(v)
	for _, k := range []string{"typed_config", "shadow_rules", "policies", "meshauth-public-path", "permissions", "0", "url_path", "path", "safe_regex", "regex"} {
		if k == "0" {
			l := cur.GetListValue().GetValues()
			if len(l) == 0 {
				return nil
			}
			cur = l[0]
			continue
		}
		cur = cur.GetStructValue().GetFields()[k]
		if cur == nil {
			return nil
		}
	}
	re := cur.GetStringValue()
	rest := strings.TrimPrefix(pathmatch.Pattern([]string{"/x/"}), regexp.QuoteMeta("/x/"))
	var out []string
	for _, alt := range strings.Split(re, rest+"|") {
		p := strings.TrimSuffix(alt, rest)
		p = strings.ReplaceAll(p, `\`, "")
		if p != "" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// readSpec decodes an Istio object's spec as istiod would; what the checks
// find is noted, and only a spec istiod could not read stops import.
func readSpec(in *install, o *obj, msg proto.Message, kind string) bool {
	ps, ok := outputcheck.IstioSpecLenient(specBytes(o), msg)
	if !ok {
		for _, p := range ps {
			in.fail(o.id, "spec"+dotted(p.Field), p.Message+"; fix the "+kind+" (istiod would reject it)")
		}
		return false
	}
	return true // what the checks find is in the notes, from the whole install
}
