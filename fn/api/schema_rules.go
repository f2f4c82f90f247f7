package api

import (
	"fmt"
	"strings"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

// The CRD's validation beyond types: patterns, list semantics and CEL rules
// (x-kubernetes-validations), so `kubectl apply` of an AuthConfig refuses
// what the function would refuse wherever a schema can say it. The CRD sees
// the user's input before defaulting, so every rule lets an empty or absent
// field through (it takes its default) and compares against the defaults
// of Defaulted, read from there rather than written again.
//
// Paths: "spec.a.b" is a field, "spec.a[]" the items of the list spec.a.
// Note: the API server quotes a refused string value in its error (pattern
// or CEL alike), e.g. a Redis URL with a password; that goes back to the
// caller who sent it, not into anything meshauth writes.

// rule is one x-kubernetes-validations entry.
type rule struct{ Rule, Message string }

// listType is x-kubernetes-list-type (set, or map with keys).
type listType struct {
	Type string
	Keys []string
}

// Bounds the CEL cost estimator needs (it assumes the largest request
// otherwise); far above any real AuthConfig.
const (
	maxStringLength = 1024
	maxListItems    = 32
)

var defaults = Defaulted(AuthConfig{Spec: Spec{PublicURL: "https://kubeflow.example.com"}}).Spec

// or is the CEL value of an optional string field chain, or def when it is
// absent or empty (as Defaulted does).
func or(chain, def string) string {
	return fmt.Sprintf("(%s.orValue('') != '' ? %s.orValue('') : %s)", chain, chain, quote(def))
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func celList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// pattern turns a validation regexp into an optional-value pattern.
func optional(re string) string {
	return "^(" + strings.TrimSuffix(strings.TrimPrefix(re, "^"), "$") + ")?$"
}

// celPublicSecure is the effective cookie.secure (defaulted from the scheme).
var celPublicSecure = "self.?oauth2Proxy.?cookie.?secure.orValue(self.publicURL.startsWith('https://'))"

// A URL rule as checkURL: absolute http(s) with a host; withQuery allows a query.
func urlRule(what string, withQuery bool) rule {
	r := "isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHost() != ''"
	if !withQuery {
		r += " && url(self).getQuery().size() == 0 && !self.contains('#')"
	}
	return rule{"self == '' || (" + r + ")", "must be an absolute http(s) URL" + what}
}

func durationRule(zeroOK bool, max string) rule {
	r, m := "duration(self) > duration('0s')", "must be a positive duration such as 30s, 59m or 24h"
	if zeroOK {
		r, m = "duration(self) >= duration('0s')", "must be a duration such as 30s, 59m or 24h (0s disables)"
	}
	if max != "" {
		r += " && duration(self) <= duration(" + quote(max) + ")"
		m += ", at most " + max
	}
	return rule{"self == '' || (" + r + ")", m}
}

var (
	imageRule = rule{"self == '' || (!self.matches('\\\\s') && (self.contains('@sha256:') || (self.substring(self.lastIndexOf('/') + 1).contains(':') && !self.endsWith(':latest'))))",
		"must be pinned to a version tag other than latest, or a digest"}
	notOAuth2Route = rule{"!self.startsWith('/oauth2/')", "/oauth2/ is oauth2-proxy's own route (always public); pick a path outside it"}
	headerRules    = []rule{{fmt.Sprintf("!(self in %s) && !self.startsWith('x-envoy-') && !self.startsWith('x-auth-request-')", celList(reservedHeaders)),
		"is a header the gateway or oauth2-proxy owns; pick another name"}}
)

var patterns = map[string]string{
	"spec.gateway.namespace":                                     optional(dnsLabelRE.String()),
	"spec.gateway.name":                                          optional("(" + strings.Trim(dnsLabelRE.String(), "^$") + "/)?" + strings.Trim(dnsSubdomainRE.String(), "^$")),
	"spec.dex.namespace":                                         optional(dnsLabelRE.String()),
	"spec.dex.configMap":                                         optional(dnsSubdomainRE.String()),
	"spec.dex.deployment":                                        optional(dnsSubdomainRE.String()),
	"spec.dex.container":                                         optional(dnsLabelRE.String()),
	"spec.oauth2Proxy.namespace":                                 optional(dnsLabelRE.String()),
	"spec.oauth2Proxy.clientID":                                  `^[^ \t\n"']*$`,
	"spec.oauth2Proxy.cookie.name":                               optional(cookieNameRE.String()),
	"spec.identityHeaders.user.header":                           optional(headerName.String()),
	"spec.identityHeaders.groups.header":                         optional(headerName.String()),
	"spec.identityHeaders.user.prefix":                           `^[^\r\n\x00]*$`,
	"spec.machineIssuers[].name":                                 optional(dnsSubdomainRE.String()),
	"spec.istio.providerName":                                    optional(dnsSubdomainRE.String()),
	"spec.istio.mesh.configMap.namespace":                        optional(dnsLabelRE.String()),
	"spec.istio.mesh.configMap.name":                             optional(dnsSubdomainRE.String()),
	"spec.istio.istiod.namespace":                                optional(dnsLabelRE.String()),
	"spec.istio.istiod.deployment":                               optional(dnsSubdomainRE.String()),
	"spec.istio.istiod.container":                                optional(dnsLabelRE.String()),
	"spec.logout.virtualService.namespace":                       optional(dnsLabelRE.String()),
	"spec.logout.virtualService.name":                            optional(dnsSubdomainRE.String()),
	"spec.logout.paths[]":                                        `^/[^?#* ]*$`,
	"spec.publicPaths[]":                                         pathmatch.PrefixSchemaPattern(`*?[]()^$|+{}`),
	"spec.access.hosts[].name":                                   hostNameRE.String(),
	"spec.access.rules[].name":                                   ruleNameRE.String(),
	"spec.access.rules[].claim.name":                             claimNameRE.String(),
	"spec.checkServer.namespace":                                 optional(dnsLabelRE.String()),
	"spec.dex.clientSecretRef.name":                              optional(dnsSubdomainRE.String()),
	"spec.dex.clientSecretRef.key":                               optional(secretKeyRE.String()),
	"spec.dex.clients[].secretRef.name":                          dnsSubdomainRE.String(),
	"spec.dex.clients[].secretRef.key":                           secretKeyRE.String(),
	"spec.oauth2Proxy.clientSecretRef.name":                      optional(dnsSubdomainRE.String()),
	"spec.oauth2Proxy.clientSecretRef.key":                       optional(secretKeyRE.String()),
	"spec.oauth2Proxy.cookieSecretRef.name":                      optional(dnsSubdomainRE.String()),
	"spec.oauth2Proxy.cookieSecretRef.key":                       optional(secretKeyRE.String()),
	"spec.oauth2Proxy.sessionStore.redis.passwordSecretRef.name": dnsSubdomainRE.String(),
	"spec.oauth2Proxy.sessionStore.redis.passwordSecretRef.key":  secretKeyRE.String(),
}

// minItems are lists that must not be empty when given.
var minItems = map[string]int{
	"spec.oauth2Proxy.emailDomains": 1,
}

// minLength are strings that must not be empty when given.
var minLength = map[string]int{
	"spec.gateway.selector{}":      1,
	"spec.dex.clients[].id":        1,
	"spec.machineIssuers[].issuer": 1,
}

// maxItems and maxLength below the general bounds keep the nested CEL
// rules (logout paths × public paths) within the cost budget.
var maxItems = map[string]int{"spec.publicPaths": 16, "spec.logout.paths": 16, "spec.machineIssuers": 16,
	"spec.machineIssuers[].audiences": 8, "spec.dex.clients": 16, "spec.dex.clients[].redirectURIs": 8, "spec.oauth2Proxy.cookie.domains": 8,
	"spec.access.hosts": maxHosts, "spec.access.rules": maxAccessRules, "spec.access.rules[].paths": maxRulePaths}
var maxLength = map[string]int{"spec.publicPaths[]": 256, "spec.logout.paths[]": 256, "spec.machineIssuers[].audiences[]": 256}

var listTypes = map[string]listType{
	"spec.publicPaths":    {Type: "set"},
	"spec.logout.paths":   {Type: "set"},
	"spec.dex.clients":    {Type: "map", Keys: []string{"id"}},
	"spec.machineIssuers": {Type: "map", Keys: []string{"issuer"}},
	"spec.access.hosts":   {Type: "map", Keys: []string{"name"}},
	"spec.access.rules":   {Type: "map", Keys: []string{"name"}},
}

// Cross-field rules over the optional chains of absent fields: the API
// server's CEL cost estimator cannot bound what .?field.orValue() yields,
// so a rule that iterates or concatenates such values is refused as too
// expensive. Those checks (cookie domains, refresh vs offline_access, Dex
// vs oidc issuer, Dex client ids vs oauth2-proxy's, distinct identity
// headers, machine issuers vs the login issuer and with check-server or
// in-cluster, logout paths vs public paths, the logout redirect host) stay
// with the function; docs/crd-validation.md lists them.
var rules = map[string][]rule{
	"spec.gateway": gatewayRules,
	"spec": {
		{"!(" + celGatewayAPI + ") || (self.?logout.?virtualService.?namespace.orValue('') == '' && self.?logout.?virtualService.?name.orValue('') == '')",
			"logout.virtualService is for gateway.api: istio; with gateway-api the logout redirect is an HTTPRoute of its own: remove it"},
		{"!(" + celGatewayAPI + ") || size(self.?oidc.?largeTokens.?stripCookieRoutes.orValue([])) == 0",
			"oidc.largeTokens.stripCookieRoutes patches VirtualServices, which gateway.api: gateway-api does not route through: remove it"},
		{"self.?oauth2Proxy.?redirectURL.orValue('') == '' || self.oauth2Proxy.redirectURL == (self.publicURL.endsWith('/') ? self.publicURL.substring(0, size(self.publicURL) - 1) : self.publicURL) + " + quote(CallbackPath),
			"oauth2Proxy.redirectURL must be oauth2-proxy's callback " + CallbackPath + " on the publicURL host (or be removed, to derive it)"},
		{"!(self.publicURL.startsWith('https://') && !" + celPublicSecure + ")", "oauth2Proxy.cookie.secure must be true when publicURL is https, or the session cookie can leak over plain http"},
		{"!(self.publicURL.startsWith('http://') && " + celPublicSecure + ")", "oauth2Proxy.cookie.secure is true but publicURL is http: browsers would never send the cookie back"},
		{or("self.?oauth2Proxy.?cookie.?sameSite", defaults.OAuth2Proxy.Cookie.SameSite) + " != 'none' || " + celPublicSecure, "oauth2Proxy.cookie.sameSite none requires cookie.secure: true"},
	},
	"spec.publicURL": {
		{"isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHost() != ''", "must be an absolute http(s) URL, e.g. https://kubeflow.example.com"},
		{"!isURL(self) || url(self).getEscapedPath() in ['', '/']", "must be the root of the host: oauth2-proxy and Dex are routed at /oauth2/ and /dex/ of the host"},
		{"!self.contains('?') && !self.contains('#') && !self.contains('@')", "must not carry a query, fragment or user info"},
	},
	"spec.publicPaths[]":  {notOAuth2Route},
	"spec.logout.paths[]": {notOAuth2Route},
	"spec.oidc.issuerURL": {urlRule(" without query", false)},
	"spec.oidc.scopes":    {{"self.exists(s, s == 'openid')", "must include openid; without it there is no ID token"}},
	"spec.dex.issuerURL":  {urlRule(" without query", false)},
	"spec.dex.clients[]": {
		{"self.?public.orValue(false) != has(self.secretRef)", "a public client has no secretRef; a confidential client needs one (or set public: true)"},
		{"size(self.?redirectURIs.orValue([])) > 0", "redirectURIs must list at least one redirect URI"},
	},
	"spec.dex.clients[].redirectURIs[]": {urlRule("", true)},
	"spec.machineIssuers[].issuer":      {urlRule(" without query", false)},
	"spec.machineIssuers[].jwksURI":     {urlRule(" without query", false)},
	"spec.machineIssuers[].audiences[]": {{"self.trim() != ''", "must not be empty"}},
	"spec.oauth2Proxy.image":            {imageRule},
	"spec.checkServer.image":            {imageRule},
	"spec.oauth2Proxy.apiRoutes[]":      {{"''.matches(self) || !''.matches(self)", "must be a valid regular expression (RE2)"}},
	// Only when both are written: the defaulted refresh follows the provider
	// profile's ID-token lifetime, which a schema cannot see.
	"spec.oauth2Proxy.cookie":         {{"!has(self.refresh) || !has(self.expire) || duration(self.refresh) < duration(self.expire)", "refresh must be shorter than expire, or 0s to disable refresh"}},
	"spec.oauth2Proxy.cookie.expire":  {durationRule(false, "")},
	"spec.oauth2Proxy.cookie.refresh": {durationRule(true, "")},
	"spec.oauth2Proxy.sessionStore": {
		{or("self.?type", defaults.OAuth2Proxy.SessionStore.Type) + " != 'cookie' || !has(self.redis)", "redis is set but type is cookie: set type: redis or remove redis"},
		{or("self.?type", defaults.OAuth2Proxy.SessionStore.Type) + " != 'redis' || self.?redis.?address.orValue('') != '' || has(self.redis) && (has(self.redis.sentinel) || has(self.redis.cluster))", "type redis needs redis.address (e.g. redis://redis.oauth2-proxy.svc.cluster.local:6379), redis.sentinel or redis.cluster"},
	},
	// has() chains, not optional values: the cost estimator bounds these
	// lists by their maxItems, an orValue([]) it cannot bound.
	"spec.oauth2Proxy.sessionStore.redis": {{"!has(self.caSecretRef) || (!has(self.address) || !self.address.startsWith('redis://')) && " +
		"(!has(self.sentinel) || self.sentinel.addresses.all(a, !a.startsWith('redis://'))) && (!has(self.cluster) || self.cluster.addresses.all(a, !a.startsWith('redis://')))",
		"caSecretRef is set, so oauth2-proxy speaks TLS to Redis: every address must be rediss://, or remove caSecretRef"}},
	"spec.oauth2Proxy.sessionStore.redis.address": {{"isURL(self) && url(self).getScheme() in ['redis', 'rediss'] && url(self).getHost() != '' && !self.contains('@')",
		"must be redis://host:port or rediss://host:port without a password; use passwordSecretRef"}},
	"spec.identityHeaders.user.header":   headerRules,
	"spec.identityHeaders.groups.header": headerRules,
	"spec.istio.extAuthzTimeout":         {durationRule(false, "600s")},
	"spec.istio.jwksRefreshInterval":     {durationRule(false, "")},
}

// celGatewayAPI is true when the AuthConfig (self = spec) chooses gateway.api: gateway-api.
const celGatewayAPI = "self.?gateway.?api.orValue('') == '" + GatewayAPI + "'"

// gatewayRules are validateGateway's cross-field rules (self = spec.gateway), on the fields as
// written: the namespace and the selector are derived when absent. Plain field access (not
// optional chains) keeps the strings' maxLength in view of the API server's cost estimator. The
// Gateway in another namespace than gateway.namespace is the function's alone: every CEL form of
// it tried (contains, indexOf, startsWith over the two fields) exceeds the estimator's budget.
var gatewayRules = func() []rule {
	api := "(has(self.api) && self.api == '" + GatewayAPI + "')"
	label := quote(GatewayNameLabel)
	named := "(has(self.name) && self.name != '')"
	return []rule{
		{api + " || !has(self.selector) || !(" + label + " in self.selector)",
			"selector " + GatewayNameLabel + " marks a Kubernetes Gateway's pods, which VirtualServices cannot bind to: set gateway.api: gateway-api"},
		{"!" + api + " || !has(self.selector) || size(self.selector) == 0 || (" + label + " in self.selector && (" + named +
			" ? (self.name == self.selector[" + label + "] || self.name.endsWith('/' + self.selector[" + label + "])) : self.selector[" + label + "] == 'kubeflow-gateway'))",
			"with gateway.api: gateway-api the selector must carry " + GatewayNameLabel + " with the Gateway's name (or be removed, to derive it)"},
	}
}()
