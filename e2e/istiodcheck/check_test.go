package istiodcheck

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbacfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
)

// Filter names as istiod writes them into the HTTP connection manager.
const (
	fExtAuthz = "envoy.filters.http.ext_authz"
	fJWT      = "envoy.filters.http.jwt_authn"
	fRBAC     = "envoy.filters.http.rbac"
	fRouter   = "envoy.filters.http.router"
	// istiod's markers: the shadow RBAC filter in front of ext_authz, and the deny-all it
	// writes instead when the CUSTOM policy's provider is not in the mesh config.
	extAuthzShadowPrefix = "istio_ext_authz_"
	badCustom            = "-deny-due-to-bad-CUSTOM-action"
	// meshauth's public-path classifier (generators/public_paths.go): its
	// EnvoyFilter's HTTP filter, and the metadata key the policies read.
	fPublic        = "meshauth-public-paths"
	publicPathMark = "meshauth_public_shadow_effective_policy_id"
)

// expectation is what the AuthConfig and the rendered stream say istiod must generate. The
// values come from the AuthConfig (issuers, claims, headers, paths, timeouts, names) and, for
// what the AuthConfig does not fix (the provider's header lists, the Service ports), from the
// rendered objects, so hidden AuthConfigs and layouts are checked the same way.
type expectation struct {
	s           api.Spec
	provider    map[string]any // the mesh config's extension provider entry (http or grpc body)
	grpc        bool
	cluster     string // outbound|PORT||FQDN of the authorizer's Service
	oauth2Proxy string // the /oauth2/ route's cluster
	problems    []string
}

func (e *expectation) fail(format string, args ...any) {
	e.problems = append(e.problems, fmt.Sprintf(format, args...))
}

// expect derives the expectation; a missing provider or Service is already a problem.
func expect(s api.Spec, stream []*yaml.RNode) *expectation {
	e := &expectation{s: s}
	e.grpc = s.Authorizer == api.AuthorizerCheckServer && s.CheckServer.Protocol == "grpc"
	svcName, svcNS, portName := "oauth2-proxy", s.OAuth2Proxy.Namespace, "http"
	if s.Authorizer == api.AuthorizerCheckServer {
		svcName, svcNS = "check-server", s.CheckServer.Namespace
		if e.grpc {
			portName = "grpc"
		}
	}
	e.cluster = e.serviceCluster(stream, svcName, svcNS, portName)
	e.oauth2Proxy = e.serviceCluster(stream, "oauth2-proxy", s.OAuth2Proxy.Namespace, "http")
	e.provider = meshProvider(stream, s, e)
	return e
}

func (e *expectation) serviceCluster(stream []*yaml.RNode, name, ns, portName string) string {
	for _, n := range stream {
		if n.GetKind() != "Service" || n.GetName() != name || n.GetNamespace() != ns {
			continue
		}
		ports, _ := n.Pipe(yaml.Lookup("spec", "ports"))
		els, _ := ports.Elements()
		for _, p := range els {
			if yaml.GetValue(p.Field("name").Value) == portName {
				return fmt.Sprintf("outbound|%s||%s.%s.svc.cluster.local", yaml.GetValue(p.Field("port").Value), name, ns)
			}
		}
		e.fail("Service %s/%s has no port named %s", ns, name, portName)
		return ""
	}
	e.fail("Service %s/%s is not in the rendered stream", ns, name)
	return ""
}

// meshProvider finds the AuthConfig's provider in the stream's mesh config.
func meshProvider(stream []*yaml.RNode, s api.Spec, e *expectation) map[string]any {
	for _, n := range stream {
		if n.GetKind() != "ConfigMap" || n.GetName() != s.Istio.Mesh.ConfigMap.Name || n.GetNamespace() != s.Istio.Mesh.ConfigMap.Namespace {
			continue
		}
		var mesh struct {
			ExtensionProviders []map[string]any `json:"extensionProviders"`
		}
		if err := sigsyaml.Unmarshal([]byte(n.GetDataMap()[s.Istio.Mesh.Key]), &mesh); err != nil {
			e.fail("mesh config: %v", err)
			return nil
		}
		for _, p := range mesh.ExtensionProviders {
			if p["name"] != s.Istio.ProviderName {
				continue
			}
			kind := "envoyExtAuthzHttp"
			if e.grpc {
				kind = "envoyExtAuthzGrpc"
			}
			body, ok := p[kind].(map[string]any)
			if !ok {
				e.fail("mesh provider %s is not %s: %v", s.Istio.ProviderName, kind, p)
				return nil
			}
			return body
		}
		e.fail("mesh config %s has no extension provider %q", s.Istio.Mesh.ConfigMap.Name, s.Istio.ProviderName)
		return nil
	}
	e.fail("mesh ConfigMap %s/%s is not in the stream", s.Istio.Mesh.ConfigMap.Namespace, s.Istio.Mesh.ConfigMap.Name)
	return nil
}

// check asserts on everything istiod generated for the gateway and returns every problem.
func (e *expectation) check(g *generated) []string {
	hcms := e.connectionManagers(g)
	if len(hcms) == 0 {
		e.fail("no HTTP listener for the gateway: listeners %v", listenerNames(g))
	}
	for _, h := range hcms {
		e.checkFilters(h)
	}
	e.checkRoutes(g)
	return e.problems
}

func listenerNames(g *generated) []string {
	var out []string
	for _, l := range g.Listeners {
		out = append(out, l.GetName())
	}
	return out
}

type hcm struct {
	listener string
	cfg      *hcmv3.HttpConnectionManager
}

func (e *expectation) connectionManagers(g *generated) []hcm {
	var out []hcm
	for _, l := range g.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if c, ok := unpack[*hcmv3.HttpConnectionManager](f.GetTypedConfig()); ok {
					out = append(out, hcm{l.GetName(), c})
				}
			}
		}
	}
	return out
}

func unpack[T proto.Message](a *anypb.Any) (T, bool) {
	var zero T
	if a == nil {
		return zero, false
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return zero, false
	}
	t, ok := m.(T)
	return t, ok
}

func (e *expectation) checkFilters(h hcm) {
	at := "listener " + h.listener
	pos := map[string]int{}
	var shadow, deny, public *rbacfilterv3.RBAC
	classifiers := map[string]*rbacfilterv3.RBAC{}
	var authz *extauthzv3.ExtAuthz
	var jwt *jwtv3.JwtAuthentication
	var names []string
	for i, f := range h.cfg.GetHttpFilters() {
		names = append(names, f.GetName())
		switch f.GetName() {
		case fRBAC:
			r, _ := unpack[*rbacfilterv3.RBAC](f.GetTypedConfig())
			for name := range r.GetRules().GetPolicies() {
				if strings.HasSuffix(name, badCustom) {
					e.fail("%s: istiod replaced the CUSTOM policy by deny-all: RBAC policy %s", at, name)
				}
			}
			switch {
			case r.GetShadowRulesStatPrefix() == extAuthzShadowPrefix:
				shadow, pos["shadow"] = r, i
			case r.GetRules().GetAction() == rbacv3.RBAC_DENY:
				deny, pos["deny"] = r, i
			case r.GetRules() != nil && r.GetRules().GetAction() == rbacv3.RBAC_ALLOW && allowsNothing(r.GetRules()):
				// Every ALLOW policy matches nothing: a policy that allows nothing (Kubeflow's
				// global-deny-all) reaches the gateway and no ALLOW policy covers it.
				e.fail("%s: every request is denied: the RBAC ALLOW rules %v match nothing (a deny-all AuthorizationPolicy applies to the gateway and no ALLOW policy covers it)", at, slices.Sorted(maps.Keys(r.GetRules().GetPolicies())))
			}
		case fPublic:
			public, _ = unpack[*rbacfilterv3.RBAC](f.GetTypedConfig())
			pos["public"] = i
		case fExtAuthz:
			authz, _ = unpack[*extauthzv3.ExtAuthz](f.GetTypedConfig())
			pos["ext_authz"] = i
		case fJWT:
			jwt, _ = unpack[*jwtv3.JwtAuthentication](f.GetTypedConfig())
			pos["jwt_authn"] = i
		case fRouter:
			pos["router"] = i
		case generators.IdentityHeaderFilterName:
			pos["headers"] = i
		}
		if strings.HasPrefix(f.GetName(), accessFilterPrefix) {
			classifiers[f.GetName()], _ = unpack[*rbacfilterv3.RBAC](f.GetTypedConfig())
			if _, ok := pos["jwt_authn"]; ok {
				e.fail("%s: classifier %s after jwt_authn", at, f.GetName())
			}
		}
	}
	// The identity-header filter first: a client-sent identity header must not reach ext_authz,
	// the RBAC rules or jwt_authn (which would otherwise see it before stripping its own).
	order := []string{"headers", "shadow", "ext_authz", "router"}
	if e.s.Authorizer == api.AuthorizerOAuth2Proxy {
		order = []string{"headers", "shadow", "ext_authz", "jwt_authn", "deny", "router"}
	}
	if e.classifies() {
		order = append([]string{"public"}, order...)
		e.checkClassifier(at, public)
	} else if public != nil {
		e.fail("%s: a %s filter, but the authorizer is %s and the public paths are %v", at, fPublic, e.s.Authorizer, e.s.PublicPaths)
	}
	last := -1
	for _, k := range order {
		i, ok := pos[k]
		if !ok {
			e.fail("%s: no %s filter in %v", at, k, names)
			continue
		}
		if i < last {
			e.fail("%s: filter order %v, want %v", at, names, order)
		}
		last = i
	}
	if authz != nil {
		e.checkExtAuthz(at, authz)
	}
	if shadow != nil {
		e.checkShadow(at, shadow)
	}
	e.checkAccess(at, classifiers, deny)
	if e.s.Authorizer == api.AuthorizerOAuth2Proxy {
		if deny != nil {
			e.checkDeny(at, deny)
		}
		if jwt != nil {
			e.checkJWT(at, jwt)
		}
	} else if _, ok := pos["jwt_authn"]; ok {
		e.fail("%s: a jwt_authn filter with authorizer check-server (its claim_to_headers would overwrite the check-server's headers)", at)
	}
}

func (e *expectation) checkExtAuthz(at string, a *extauthzv3.ExtAuthz) {
	at += ": ext_authz"
	timeout, _ := time.ParseDuration(e.s.Istio.ExtAuthzTimeout)
	if a.GetFailureModeAllow() {
		e.fail("%s: failure_mode_allow is true (fails open)", at)
	}
	// The service and its timeout, gRPC or HTTP as the authorizer's protocol says.
	var cluster string
	var d time.Duration
	h := a.GetHttpService()
	switch g := a.GetGrpcService(); {
	case e.grpc && g != nil:
		cluster, d = g.GetEnvoyGrpc().GetClusterName(), g.GetTimeout().AsDuration()
	case !e.grpc && h != nil:
		cluster, d = h.GetServerUri().GetCluster(), h.GetServerUri().GetTimeout().AsDuration()
	default:
		e.fail("%s: want a gRPC service = %v, got %T", at, e.grpc, a.GetServices())
		return
	}
	if cluster != e.cluster {
		e.fail("%s: cluster %q, want %q", at, cluster, e.cluster)
	}
	if d != timeout {
		e.fail("%s: timeout %s, want %s", at, d, timeout)
	}
	if e.grpc {
		return // Envoy sends every header over gRPC; the lists below are HTTP-only
	}
	if want, _ := e.provider["pathPrefix"].(string); h.GetPathPrefix() != want {
		e.fail("%s: path prefix %q, want %q", at, h.GetPathPrefix(), want)
	}
	lists := []struct {
		key string
		got *matcherv3.ListStringMatcher
	}{
		{"includeRequestHeadersInCheck", a.GetAllowedHeaders()},
		{"headersToUpstreamOnAllow", h.GetAuthorizationResponse().GetAllowedUpstreamHeaders()},
		{"headersToDownstreamOnDeny", h.GetAuthorizationResponse().GetAllowedClientHeaders()},
		{"headersToDownstreamOnAllow", h.GetAuthorizationResponse().GetAllowedClientHeadersOnSuccess()},
	}
	got := map[string][]string{}
	for _, l := range lists {
		got[l.key] = patterns(l.got)
		if want := stringList(e.provider[l.key]); !slices.Equal(got[l.key], want) {
			e.fail("%s: %s %v, want the mesh provider's %v", at, l.key, got[l.key], want)
		}
	}
	// What the stack cannot work without, from the AuthConfig.
	need := map[string][]string{}
	if e.s.Authorizer == api.AuthorizerOAuth2Proxy {
		need["includeRequestHeadersInCheck"] = []string{"cookie"}
		need["headersToUpstreamOnAllow"] = []string{"authorization"} // the ID token jwt_authn verifies
	} else {
		need["headersToUpstreamOnAllow"] = []string{e.s.IdentityHeaders.User.Header, e.s.IdentityHeaders.Groups.Header}
	}
	for k, hs := range need {
		for _, h := range hs {
			if !slices.Contains(got[k], h) {
				e.fail("%s: %s lacks %q", at, k, h)
			}
		}
	}
}

func patterns(l *matcherv3.ListStringMatcher) []string {
	var out []string
	for _, p := range l.GetPatterns() {
		switch {
		case p.GetExact() != "":
			out = append(out, p.GetExact())
		case p.GetPrefix() != "":
			out = append(out, p.GetPrefix()+"*")
		case p.GetSuffix() != "":
			out = append(out, "*"+p.GetSuffix())
		default:
			out = append(out, "?"+p.String())
		}
	}
	return out
}

func stringList(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, s := range l {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// classifies: the oauth2-proxy authorizer opens its public paths through
// meshauth's classifier; check-server decides them itself.
func (e *expectation) classifies() bool {
	return e.s.Authorizer == api.AuthorizerOAuth2Proxy &&
		(len(e.s.PublicPaths) > 0 || slices.ContainsFunc(e.s.Access.Rules, func(r api.AccessRule) bool { return r.Public }))
}

// publicPrefixes: spec.publicPaths and the public rules' paths on the
// publicURL's host.
func (e *expectation) publicPrefixes() []string {
	out := slices.Clone(e.s.PublicPaths)
	for _, r := range e.s.Access.Rules {
		if r.Public && (len(r.Hosts) == 0 || slices.Contains(r.Hosts, e.s.URLs().Public.Hostname())) {
			out = append(out, r.Paths...)
		}
	}
	return out
}

// checkClassifier: the classifier never decides (shadow rules only) and
// marks exactly the plain paths under the public prefixes, as Envoy runs
// its regex (a full match on the path without the query).
func (e *expectation) checkClassifier(at string, r *rbacfilterv3.RBAC) {
	at += ": " + fPublic
	if r == nil {
		return // reported as a missing filter
	}
	if r.GetRules() != nil || r.GetShadowRules().GetAction() != rbacv3.RBAC_ALLOW || r.GetShadowRulesStatPrefix()+"shadow_effective_policy_id" != publicPathMark {
		e.fail("%s: want ALLOW shadow rules only, stat prefix for %s; got %v", at, publicPathMark, r)
		return
	}
	host := e.s.URLs().Public.Host
	marks := func(p string) bool { return e.marks(at, r, host, p) }
	for _, pre := range e.publicPrefixes() {
		for _, p := range []string{pre, pre + "a/b.css", pre + "a/"} {
			if !marks(p) {
				e.fail("%s: the plain public path %s is not marked", at, p)
			}
		}
		tricks := []string{pre + "..%2Fapp/", pre + "..;/app/", pre + `..\app/`, pre + "%2e%2e/app/", pre + "../app/", pre + "./a", pre + "a//b", pre + "a%20b", strings.TrimSuffix(pre, "/"), "/x" + pre, strings.TrimSuffix(pre, "/") + "-sibling/"}
		if up := strings.ToUpper(pre); up != pre {
			tricks = append(tricks, up+"a") // Envoy matches case-sensitively, as the routes do
		}
		for _, p := range tricks {
			if marks(p) {
				e.fail("%s: %s is marked public: only plain paths under %s may be", at, p, pre)
			}
		}
	}
	for _, p := range []string{"/", "/app/", "/oauth2/x"} {
		if marks(p) && !slices.ContainsFunc(e.s.PublicPaths, func(pre string) bool { return strings.HasPrefix(p, pre) }) {
			e.fail("%s: %s is marked public", at, p)
		}
	}
}

// checkShadow: the CUSTOM policy's rules, which decide when ext_authz runs.
func (e *expectation) checkShadow(at string, r *rbacfilterv3.RBAC) {
	at += ": CUSTOM shadow rules"
	pols := r.GetShadowRules().GetPolicies()
	if len(pols) == 0 {
		e.fail("%s: no policy", at)
		return
	}
	for name, p := range pols {
		if !strings.Contains(name, "ns["+e.s.Gateway.Namespace+"]") {
			e.fail("%s: policy %s is not from the gateway namespace %s", at, name, e.s.Gateway.Namespace)
		}
		j := policyJSON(p)
		// oauth2-proxy is spared its own routes; check-server is asked about
		// every path. A public prefix is never a notPath (it would be wider
		// than its plain paths): the classifier's mark opens those.
		e.checkOpened(at+": "+name, j, e.s.Authorizer == api.AuthorizerOAuth2Proxy)
		noAuth := noAuthorization.MatchString(j)
		if want := e.s.Authorizer == api.AuthorizerOAuth2Proxy; noAuth != want {
			e.fail("%s: %s: the no-Authorization condition present = %v, want %v", at, name, noAuth, want)
		}
	}
}

// checkOpened: /oauth2/ is a notPath exactly when oauth2 is; no public
// prefix is; the classifier's mark is a condition exactly when it runs.
func (e *expectation) checkOpened(at, j string, oauth2 bool) {
	if got := notPathPrefix(j, "/oauth2/"); got != oauth2 {
		e.fail("%s: excludes /oauth2/ = %v, want %v (authorizer %s)", at, got, oauth2, e.s.Authorizer)
	}
	for _, pre := range e.s.PublicPaths {
		if notPathPrefix(j, pre) {
			e.fail("%s: excludes the public prefix %s by notPaths, which also opens %s..%%2Fapp/ and %s..;/app/", at, pre, pre, pre)
		}
	}
	if got := notMarked.MatchString(j); got != e.classifies() {
		e.fail("%s: the not-marked-public condition present = %v, want %v", at, got, e.classifies())
	}
}

// noAuthorization is istiod's form of `request.headers[authorization] notValues ["*"]`: a principal
// that is not "the Authorization header is present".
var noAuthorization = regexp.MustCompile(`"notId":\{("orIds":\{"ids":\[)?\{"header":\{"name":"authorization","presentMatch":true`)

// notMarked is istiod's form of the classifier condition (notValues on
// experimental.envoy.filters.http.rbac[...]): not the marking policy.
var notMarked = regexp.MustCompile(`"notRule":\{("orRules":\{"rules":\[\{)?"metadata":\{"filter":"envoy.filters.http.rbac","path":\[\{"key":"` + publicPathMark + `"\}\],"value":\{"stringMatch":\{"exact":"meshauth-public-path"`)

// checkDeny: requests without a verified JWT are refused outside
// oauth2-proxy's routes and the marked public paths.
func (e *expectation) checkDeny(at string, r *rbacfilterv3.RBAC) {
	at += ": DENY"
	found := false
	for name, p := range r.GetRules().GetPolicies() {
		j := policyJSON(p)
		if strings.Contains(name, "policy[istio-ingressgateway-access]") {
			continue // the access rules' (checkAccess)
		}
		// notRequestPrincipals ["*"]: not (a verified JWT's iss and sub are set).
		if !strings.Contains(j, `"notId":{"andIds":{"ids":[{"metadata":{"filter":"envoy.filters.http.jwt_authn"`) {
			continue
		}
		found = true
		e.checkOpened(at+": "+name, j, true)
	}
	if !found {
		e.fail("%s: no policy refusing requests without a verified request principal", at)
	}
	// A verified token saying email_verified: false (jwt_authn's copy of the
	// claim) is refused unless the AuthConfig admits unverified emails.
	unverified := false
	for _, p := range r.GetRules().GetPolicies() {
		unverified = unverified || strings.Contains(policyJSON(p), `{"header":{"name":"x-meshauth-email-verified","stringMatch":{"exact":"false"`)
	}
	if want := e.s.OIDC.AllowUnverifiedEmail == nil || !*e.s.OIDC.AllowUnverifiedEmail; unverified != want {
		e.fail("%s: a rule refusing email_verified false = %v, want %v", at, unverified, want)
	}
}

// allowsNothing: every policy of the ALLOW rules matches no request (or there is none) —
// istiod's form of an AuthorizationPolicy with no rules is the permission notRule{any}.
func allowsNothing(r *rbacv3.RBAC) bool {
	for _, p := range r.GetPolicies() {
		never := len(p.GetPermissions()) > 0
		for _, x := range p.GetPermissions() {
			never = never && x.GetNotRule().GetAny()
		}
		noOne := len(p.GetPrincipals()) > 0
		for _, x := range p.GetPrincipals() {
			noOne = noOne && x.GetNotId().GetAny()
		}
		if !never && !noOne {
			return false
		}
	}
	return true
}

func policyJSON(p *rbacv3.Policy) string {
	b, _ := protojson.MarshalOptions{}.Marshal(p)
	var buf strings.Builder
	for _, r := range string(b) {
		if r != ' ' && r != '\n' {
			buf.WriteRune(r)
		}
	}
	return buf.String()
}

func notPathPrefix(policyJSON, prefix string) bool {
	return strings.Contains(policyJSON, `"notRule":{"urlPath":{"path":{"prefix":"`+prefix+`"`) ||
		strings.Contains(policyJSON, `"urlPath":{"path":{"prefix":"`+prefix+`"}}}`) && strings.Contains(policyJSON, `"notRule"`)
}

// checkJWT: one provider per RequestAuthentication rule, as the AuthConfig
// says: the login issuer pinned to oauth2-proxy's client id and the extra
// audiences, each machine issuer to its own. The login issuer may also be a
// machine issuer (client-credentials tokens, other audiences): istiod then
// emits one provider per rule for that issuer, and Envoy accepts either.
func (e *expectation) checkJWT(at string, j *jwtv3.JwtAuthentication) {
	at += ": jwt_authn"
	h := e.s.IdentityHeaders
	type want struct {
		issuer, jwks, userClaim string
		audiences               []string
	}
	wants := []want{{e.s.OIDC.IssuerURL, "", h.User.Claim, append([]string{e.s.OAuth2Proxy.ClientID}, e.s.OIDC.Audiences...)}}
	if e.s.Dex != nil {
		wants[0].jwks = e.s.Dex.IssuerURL + "/keys"
	}
	for _, m := range e.s.MachineIssuers {
		wants = append(wants, want{m.Issuer, m.JWKSURI, m.UserClaim, m.Audiences})
	}
	byIssuer := map[string][]*jwtv3.JwtProvider{}
	for _, p := range j.GetProviders() {
		byIssuer[p.GetIssuer()] = append(byIssuer[p.GetIssuer()], p)
	}
	if len(j.GetProviders()) != len(wants) {
		e.fail("%s: %d providers, want one per rule (%d)", at, len(j.GetProviders()), len(wants))
	}
	for _, w := range wants {
		var ps []*jwtv3.JwtProvider
		for _, p := range byIssuer[w.issuer] {
			if len(w.audiences) == 0 || slices.Equal(p.GetAudiences(), w.audiences) {
				ps = append(ps, p)
			}
		}
		if len(ps) != 1 {
			e.fail("%s: %d providers for issuer %s with audiences %v, want 1", at, len(ps), w.issuer, w.audiences)
			continue
		}
		p := ps[0]
		// PILOT_JWT_ENABLE_REMOTE_JWKS=false (Kubeflow's and istiod's default): istiod fetches
		// the JWKS itself and inlines it (a key nobody can sign with when the fetch fails).
		switch {
		case p.GetLocalJwks().GetInlineString() != "":
		case p.GetRemoteJwks() != nil && (w.jwks == "" || p.GetRemoteJwks().GetHttpUri().GetUri() == w.jwks):
		default:
			e.fail("%s: %s: no JWKS source (want inline, or remote %s)", at, w.issuer, w.jwks)
		}
		if !p.GetForward() {
			e.fail("%s: %s: forward is false (the upstream would not get the token)", at, w.issuer)
		}
		fh := p.GetFromHeaders()
		if len(fh) != 1 || !strings.EqualFold(fh[0].GetName(), "authorization") || fh[0].GetValuePrefix() != "Bearer " {
			e.fail("%s: %s: from_headers %v, want Authorization with prefix \"Bearer \"", at, w.issuer, fh)
		}
		claims := map[string]string{}
		for _, c := range p.GetClaimToHeaders() {
			claims[c.GetHeaderName()] = c.GetClaimName()
		}
		wantClaims := map[string]string{h.User.Header: w.userClaim, h.Groups.Header: h.Groups.Claim}
		for hdr, claim := range wantClaims {
			if claims[hdr] != claim {
				e.fail("%s: %s: claim_to_headers %v, want %s from claim %s", at, w.issuer, claims, hdr, claim)
			}
		}
		if len(w.audiences) > 0 && !slices.Equal(p.GetAudiences(), w.audiences) {
			e.fail("%s: %s: audiences %v, want %v", at, w.issuer, p.GetAudiences(), w.audiences)
		}
	}
}

// checkRoutes walks the gateway's route table the way Envoy picks a route (virtual host by
// domain, then the first matching route): the logout paths redirect to oauth2-proxy's sign-out
// before any catch-all, and /oauth2/ reaches oauth2-proxy.
func (e *expectation) checkRoutes(g *generated) {
	u, _ := url.Parse(e.s.PublicURL)
	found := false
	for _, rc := range g.Routes {
		vh := pickVirtualHost(rc, u.Hostname())
		if vh == nil {
			continue
		}
		found = true
		at := "route " + rc.GetName() + " vhost " + vh.GetName()
		wantRedirect := "/oauth2/sign_out?rd=" + url.QueryEscape(e.s.Logout.AfterLogoutURL)
		for _, p := range e.s.Logout.Paths {
			r := firstMatch(vh, p)
			rd := r.GetRedirect()
			if rd.GetPathRedirect() != wantRedirect {
				e.fail("%s: %s goes to %s, want a redirect to %s", at, p, describe(r), wantRedirect)
				continue
			}
			// 302: a browser caches a 301 and would skip the gateway on the next logout.
			if rd.GetResponseCode() != routev3.RedirectAction_FOUND {
				e.fail("%s: %s redirects with %s, want FOUND (302)", at, p, rd.GetResponseCode())
			}
			if e.s.Gateway.GatewayAPI() && (rd.GetSchemeRedirect() != u.Scheme || rd.GetHostRedirect() != u.Hostname()) {
				e.fail("%s: %s redirects to scheme %q host %q, want the publicURL's %q %q", at, p, rd.GetSchemeRedirect(), rd.GetHostRedirect(), u.Scheme, u.Hostname())
			}
			// The public URL's scheme and host, never the client's Host.
			if rd := r.GetRedirect(); rd.GetHostRedirect() != u.Host || rd.GetSchemeRedirect() != u.Scheme && !(u.Scheme == "https" && rd.GetHttpsRedirect()) {
				e.fail("%s: %s redirects to host %q scheme %q, want %s://%s", at, p, rd.GetHostRedirect(), rd.GetSchemeRedirect(), u.Scheme, u.Host)
			}
		}
		if r := firstMatch(vh, "/oauth2/start"); r.GetRoute().GetCluster() != e.oauth2Proxy {
			e.fail("%s: /oauth2/start goes to %s, want cluster %s", at, describe(r), e.oauth2Proxy)
		}
		// The apps' catch-all (the dashboard's /) is still served on the host: meshauth's routes
		// must not take the host's virtual host for themselves.
		if r := firstMatch(vh, "/"); r.GetRoute().GetCluster() == "" {
			e.fail("%s: / goes to %s, want the apps' catch-all route (a cluster)", at, describe(r))
		}
	}
	if !found {
		e.fail("no route configuration serves host %s", u.Hostname())
	}
}

func describe(r *routev3.Route) string {
	switch {
	case r == nil:
		return "no route"
	case r.GetRedirect() != nil:
		return "redirect " + r.GetRedirect().GetPathRedirect()
	case r.GetRoute().GetCluster() != "":
		return "cluster " + r.GetRoute().GetCluster()
	}
	return "route " + r.GetName()
}

// pickVirtualHost: exact domain, then the longest suffix/prefix wildcard, then "*" (Envoy's order);
// domains carry a port suffix on gateways, which is ignored here.
func pickVirtualHost(rc *routev3.RouteConfiguration, host string) *routev3.VirtualHost {
	var best *routev3.VirtualHost
	bestScore := -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			d, _, _ = strings.Cut(d, ":")
			score := -1
			switch {
			case d == host:
				score = 1 << 20
			case strings.HasPrefix(d, "*") && d != "*" && strings.HasSuffix(host, d[1:]):
				score = 1<<10 + len(d)
			case d == "*":
				score = 0
			}
			if score > bestScore {
				best, bestScore = vh, score
			}
		}
	}
	return best
}

// firstMatch is the first route whose path match accepts path (no header or query matchers:
// a route with them is skipped, which only makes the check stricter).
func firstMatch(vh *routev3.VirtualHost, path string) *routev3.Route {
	for _, r := range vh.GetRoutes() {
		m := r.GetMatch()
		if len(m.GetHeaders()) > 0 || len(m.GetQueryParameters()) > 0 {
			continue
		}
		ok := false
		switch {
		case m.GetPath() != "":
			ok = path == m.GetPath()
		case m.GetPathSeparatedPrefix() != "":
			p := m.GetPathSeparatedPrefix()
			ok = path == p || strings.HasPrefix(path, p+"/")
		case m.GetSafeRegex() != nil:
			ok, _ = regexp.MatchString("^(?:"+m.GetSafeRegex().GetRegex()+")$", path)
		default:
			ok = strings.HasPrefix(path, m.GetPrefix())
		}
		if ok {
			return r
		}
	}
	return nil
}
