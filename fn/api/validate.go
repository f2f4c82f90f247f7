package api

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

// Validate reports every problem of a defaulted AuthConfig at once, each
// with its field path and how to fix it. It returns nil when c is usable.
func Validate(c AuthConfig) FieldErrors {
	errs, _ := validate(c)
	return errs
}

// validate is Validate, also returning the URLs it parsed.
func validate(c AuthConfig) (FieldErrors, URLs) {
	var errs FieldErrors
	if c.APIVersion != APIVersion {
		errs.add("apiVersion", "must be %q, got %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		errs.add("kind", "must be %q, got %q", Kind, c.Kind)
	}
	validateName(c.Metadata.Name, &errs)
	s := c.Spec
	urls := URLs{Public: validatePublicURL(s.PublicURL, &errs)}
	public := urls.Public
	validatePublicPaths(s.PublicPaths, &errs)
	validateGateway(s.Gateway, &errs)
	urls.DexIssuer = validateIdentityProvider(s, &errs)
	validateOAuth2Proxy(s.OAuth2Proxy, public, s.OIDC, &errs)
	validateIdentityHeaders(s.IdentityHeaders, &errs)
	validateMachineIssuers(s.MachineIssuers, s.OIDC.IssuerURL, &errs)
	validateIstio(s.Istio, &errs)
	validateLogout(s.Logout, s.PublicPaths, public, &errs)
	validateAuthorizer(s, &errs)
	validateProvider(s, &errs)
	urls.EndSession = validateEndSession(s.Logout.EndSessionURL, &errs)
	validateInClusterIssuers(s, &errs)
	return errs.sorted(), urls
}

// validateName requires a DNS-1123 label: the name becomes part of the
// names of generated objects, which Kubernetes checks the same way.
func validateName(name string, errs *FieldErrors) {
	const p = "metadata.name"
	switch {
	case name == "":
		errs.add(p, "is required; name the AuthConfig, e.g. kubeflow")
	case !dnsLabelRE.MatchString(name):
		fix := "e.g. kubeflow"
		if s := dnsLabel(name); s != "issuer" || strings.Contains(strings.ToLower(name), "issuer") {
			fix = fmt.Sprintf("e.g. %q", s)
		}
		errs.add(p, "must be a DNS-1123 label (lower-case letters, digits and -, starting and ending with a letter or digit, at most 63 characters), as it becomes part of object names; got %q, use %s", name, fix)
	}
}

func validatePublicURL(raw string, errs *FieldErrors) *url.URL {
	const p = "spec.publicURL"
	if raw == "" {
		errs.add(p, "is required: the external URL users reach the gateway at, e.g. https://kubeflow.example.com")
		return nil
	}
	u := checkURL(p, raw, false, errs)
	if u == nil {
		return nil
	}
	if u.Path != "" && u.Path != "/" {
		errs.add(p, "must be the root of the host (got path %q); oauth2-proxy and Dex are routed at /oauth2/ and /dex/ of the host", u.Path)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		errs.add(p, "must not carry a query, fragment or user info")
	}
	return u
}

func validatePublicPaths(paths []string, errs *FieldErrors) {
	seen := map[string]bool{}
	for i, p := range paths {
		at := idx("spec.publicPaths", i)
		switch {
		case p == "/" || p == "":
			errs.add(at, "%q would switch authentication off for every path; list only prefixes such as /dex/", p)
		case !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/"):
			errs.add(at, "must be a path prefix starting and ending with /, e.g. /dex/ (got %q)", p)
		case strings.ContainsAny(p, "*?[]()^$\\|+{} "):
			errs.add(at, "must be a literal path prefix, not a pattern (got %q)", p)
		case !pathmatch.Plain(p):
			errs.add(at, "must be a plain path prefix: no %%-escape, \\, ;, # or space, no \"//\", \".\" or \"..\" segment (got %q); write it as the upstream serves it, e.g. /static/", p)
		case strings.HasPrefix(p, "/oauth2/"):
			errs.add(at, "/oauth2/ is always public (oauth2-proxy's own routes); remove %q", p)
		case seen[p]:
			errs.add(at, "duplicates %q; list each prefix once", p)
		}
		seen[p] = true
	}
}

func validateGateway(g Gateway, errs *FieldErrors) {
	checkDNSLabel("spec.gateway.namespace", g.Namespace, errs)
	for _, k := range slices.Sorted(maps.Keys(g.Selector)) {
		if g.Selector[k] == "" {
			errs.add("spec.gateway.selector."+k, "must not be empty; the policies select the gateway pods by these labels")
		}
	}
	ns, name, ok := strings.Cut(g.Name, "/")
	if !ok {
		name, ns = ns, ""
	}
	if ns != "" {
		checkDNSLabel("spec.gateway.name", ns, errs)
	}
	checkDNSSubdomain("spec.gateway.name", name, errs)
}

// validateIdentityProvider returns Dex's issuer URL, parsed (nil without
// Dex or when it is not valid).
func validateIdentityProvider(s Spec, errs *FieldErrors) *url.URL {
	checkURL("spec.oidc.issuerURL", s.OIDC.IssuerURL, false, errs)
	if !contains(s.OIDC.Scopes, "openid") {
		errs.add("spec.oidc.scopes", "must include openid; without it there is no ID token")
	}
	d := s.Dex
	if d == nil {
		return nil
	}
	checkDNSLabel("spec.dex.namespace", d.Namespace, errs)
	checkDNSSubdomain("spec.dex.configMap", d.ConfigMap, errs)
	checkDNSSubdomain("spec.dex.deployment", d.Deployment, errs)
	checkDNSLabel("spec.dex.container", d.Container, errs)
	issuer := checkURL("spec.dex.issuerURL", d.IssuerURL, false, errs)
	if s.OIDC.IssuerURL != d.IssuerURL {
		errs.add("spec.oidc.issuerURL", "is %q but spec.dex.issuerURL is %q: with Dex they must be equal; remove spec.dex to use an external provider", s.OIDC.IssuerURL, d.IssuerURL)
	}
	checkSecretRef("spec.dex.clientSecretRef", d.ClientSecretRef, errs)
	validateDexClients(d, s.OAuth2Proxy.ClientID, errs)
	return issuer
}

// validateDexClients checks the extra static clients: unique ids (also
// against oauth2-proxy's), redirect URIs, and a secret exactly when the
// client is confidential.
func validateDexClients(d *Dex, oauth2ProxyClientID string, errs *FieldErrors) {
	ids := map[string]string{oauth2ProxyClientID: "spec.oauth2Proxy.clientID"}
	for i, cl := range d.Clients {
		at := idx("spec.dex.clients", i)
		switch {
		case cl.ID == "":
			errs.add(at+".id", "is required")
		case ids[cl.ID] != "":
			errs.add(at+".id", "%q is already used by %s; client ids must be unique", cl.ID, ids[cl.ID])
		default:
			ids[cl.ID] = at + ".id"
		}
		if len(cl.RedirectURIs) == 0 {
			errs.add(at+".redirectURIs", "must list at least one redirect URI")
		}
		for j, r := range cl.RedirectURIs {
			checkURL(idx(at+".redirectURIs", j), r, true, errs)
		}
		switch {
		case cl.Public && cl.SecretRef != nil:
			errs.add(at+".secretRef", "must be omitted for a public client")
		case !cl.Public && cl.SecretRef == nil:
			errs.add(at+".secretRef", "is required for a confidential client; reference a Secret key in %s, or set public: true", d.Namespace)
		case cl.SecretRef != nil:
			checkSecretRef(at+".secretRef", *cl.SecretRef, errs)
		}
	}
}

func validateOAuth2Proxy(p OAuth2Proxy, public *url.URL, oidc OIDC, errs *FieldErrors) {
	const at = "spec.oauth2Proxy"
	checkDNSLabel(at+".namespace", p.Namespace, errs)
	checkImage(at+".image", p.Image, errs)
	if p.Replicas != nil && *p.Replicas < 1 {
		errs.add(at+".replicas", "must be at least 1, got %d", *p.Replicas)
	}
	if p.ClientID == "" || strings.ContainsAny(p.ClientID, " \t\n\"'") {
		errs.add(at+".clientID", "must be a non-empty client id without spaces or quotes (got %q)", p.ClientID)
	}
	checkSecretRef(at+".clientSecretRef", p.ClientSecretRef, errs)
	checkSecretRef(at+".cookieSecretRef", p.CookieSecretRef, errs)
	if public != nil {
		want := strings.TrimSuffix(public.String(), "/") + CallbackPath
		if p.RedirectURL != want {
			errs.add(at+".redirectURL", "is %q but must be %q: oauth2-proxy receives the callback at %s on the spec.publicURL host; fix the URL or remove it to derive it", p.RedirectURL, want, CallbackPath)
		}
	}
	validateCookie(p.Cookie, public, oidc, errs)
	if len(p.EmailDomains) == 0 {
		errs.add(at+".emailDomains", "must list at least one domain, or \"*\" for any")
	}
	for i, r := range p.APIRoutes {
		if _, err := regexp.Compile(r); err != nil {
			errs.add(idx(at+".apiRoutes", i), "is not a valid regular expression: %v", err)
		}
	}
	ss := p.SessionStore
	switch ss.Type {
	case "cookie":
		if ss.Redis != nil {
			errs.add(at+".sessionStore.redis", "is set but sessionStore.type is cookie; set type: redis or remove redis")
		}
	case "redis":
		validateRedis(ss.Redis, errs)
	default:
		errs.add(at+".sessionStore.type", "must be cookie or redis, got %q", ss.Type)
	}
}

func validateCookie(c Cookie, public *url.URL, oidc OIDC, errs *FieldErrors) {
	const at = "spec.oauth2Proxy.cookie"
	if !cookieNameRE.MatchString(c.Name) {
		errs.add(at+".name", "must be a cookie name of letters, digits and !#$%%&'*+-.^_|~ (got %q)", c.Name)
	}
	expire := checkDuration(at+".expire", c.Expire, false, errs)
	refresh := checkDuration(at+".refresh", c.Refresh, true, errs)
	if expire > 0 && refresh >= expire {
		errs.add(at+".refresh", "(%s) must be shorter than cookie.expire (%s), or 0s to disable refresh", c.Refresh, c.Expire)
	}
	// Keycloak hands out refresh tokens without offline_access.
	if refresh > 0 && !contains(oidc.Scopes, "offline_access") && oidc.Provider != ProviderKeycloak {
		errs.add(at+".refresh", "needs a refresh token: add offline_access to spec.oidc.scopes, or set refresh: 0s")
	}
	switch c.SameSite {
	case "lax", "strict", "none", "":
	default:
		errs.add(at+".sameSite", "must be lax, strict or none, got %q", c.SameSite)
	}
	secure := c.Secure != nil && *c.Secure
	if public != nil && public.Scheme == "https" && !secure {
		errs.add(at+".secure", "must be true when spec.publicURL is https, or the session cookie can leak over plain http")
	}
	if public != nil && public.Scheme == "http" && secure {
		errs.add(at+".secure", "is true but spec.publicURL is http: browsers would never send the cookie back; use https or set secure: false")
	}
	if c.SameSite == "none" && !secure {
		errs.add(at+".sameSite", "none requires cookie.secure: true (browsers drop SameSite=None cookies without Secure)")
	}
	for i, d := range c.Domains {
		host := ""
		if public != nil {
			host = public.Hostname()
		}
		dd := strings.TrimPrefix(d, ".")
		if dd == "" || (host != "" && host != dd && !strings.HasSuffix(host, "."+dd)) {
			errs.add(idx(at+".domains", i), "%q does not cover the publicURL host %q; the browser would reject the cookie", d, host)
		}
	}
}

var cookieNameRE = regexp.MustCompile(`^[!#$%&'*+\-.^_|~0-9A-Za-z]+$`)

var headerName = regexp.MustCompile(`^[a-z0-9!#$%&'*+\-.^_|~]+$`)

func validateIdentityHeaders(h IdentityHeaders, errs *FieldErrors) {
	for path, name := range map[string]string{
		"spec.identityHeaders.user.header":   h.User.Header,
		"spec.identityHeaders.groups.header": h.Groups.Header,
	} {
		if !headerName.MatchString(name) {
			errs.add(path, "must be a lower-case HTTP header name (RFC 9110 token), got %q", name)
		}
		if reserved(name) {
			errs.add(path, "%q is a header the gateway or oauth2-proxy owns; pick another name", name)
		}
	}
	if h.User.Header == h.Groups.Header {
		errs.add("spec.identityHeaders.groups.header", "must differ from the user header %q", h.User.Header)
	}
	if h.User.Claim == "" {
		errs.add("spec.identityHeaders.user.claim", "is required, e.g. email")
	}
	if h.Groups.Claim == "" {
		errs.add("spec.identityHeaders.groups.claim", "is required, e.g. groups")
	}
	if strings.ContainsAny(h.User.Prefix, "\r\n\x00") {
		errs.add("spec.identityHeaders.user.prefix", "must not contain control characters")
	}
}

// reservedHeaders are owned by the gateway or oauth2-proxy, as are the
// x-envoy- and x-auth-request- prefixes (the CRD says the same).
var reservedHeaders = []string{"authorization", "cookie", "host", ":path", "content-length", "x-forwarded-for"}

func reserved(h string) bool {
	return contains(reservedHeaders, h) || strings.HasPrefix(h, "x-envoy-") || strings.HasPrefix(h, "x-auth-request-")
}

func validateMachineIssuers(ms []MachineIssuer, oidcIssuer string, errs *FieldErrors) {
	issuers := map[string]string{oidcIssuer: "spec.oidc.issuerURL"}
	names := map[string]string{}
	for i, m := range ms {
		at := idx("spec.machineIssuers", i)
		checkURL(at+".issuer", m.Issuer, false, errs)
		// The login issuer may also mint machine tokens (client credentials)
		// for audiences of their own: validateProvider checks those.
		sameAsLogin := m.Issuer == oidcIssuer && len(m.Audiences) > 0
		if prev := issuers[m.Issuer]; prev != "" && m.Issuer != "" && !sameAsLogin {
			errs.add(at+".issuer", "%q is already trusted by %s; list each issuer once", m.Issuer, prev)
		}
		issuers[m.Issuer] = at + ".issuer"
		if m.JWKSURI != "" {
			checkURL(at+".jwksURI", m.JWKSURI, false, errs)
		}
		for j, a := range m.Audiences {
			if strings.TrimSpace(a) == "" {
				errs.add(idx(at+".audiences", j), "must not be empty")
			}
		}
		if m.UserClaim == "" {
			errs.add(at+".userClaim", "is required, e.g. sub")
		}
		checkDNSSubdomain(at+".name", m.Name, errs)
		if prev := names[m.Name]; prev != "" {
			errs.add(at+".name", "%q is also the name of %s; set distinct names", m.Name, prev)
		}
		names[m.Name] = at
	}
}

func validateIstio(i Istio, errs *FieldErrors) {
	const at = "spec.istio"
	if i.ManagedBy != ManagedByPackage && i.ManagedBy != ManagedByExternal {
		errs.add(at+".managedBy", "must be package (Istio's mesh ConfigMap and istiod are in the kustomization or package) or external (installed with istioctl, Helm or an operator), got %q", i.ManagedBy)
	}
	checkDNSSubdomain(at+".providerName", i.ProviderName, errs)
	checkDNSLabel(at+".mesh.configMap.namespace", i.Mesh.ConfigMap.Namespace, errs)
	checkDNSSubdomain(at+".mesh.configMap.name", i.Mesh.ConfigMap.Name, errs)
	if i.Mesh.Key == "" {
		errs.add(at+".mesh.key", "is required, usually mesh")
	}
	if d := checkDuration(at+".extAuthzTimeout", i.ExtAuthzTimeout, false, errs); d > 600*time.Second {
		errs.add(at+".extAuthzTimeout", "(%s) must be at most 600s; a check that slow stalls every request", i.ExtAuthzTimeout)
	}
	checkDNSLabel(at+".istiod.namespace", i.Istiod.Namespace, errs)
	checkDNSSubdomain(at+".istiod.deployment", i.Istiod.Deployment, errs)
	checkDNSLabel(at+".istiod.container", i.Istiod.Container, errs)
	checkDuration(at+".jwksRefreshInterval", i.JWKSRefreshInterval, false, errs)
}

func validateLogout(l Logout, publicPaths []string, public *url.URL, errs *FieldErrors) {
	const at = "spec.logout"
	checkDNSLabel(at+".virtualService.namespace", l.VirtualService.Namespace, errs)
	checkDNSSubdomain(at+".virtualService.name", l.VirtualService.Name, errs)
	seen := map[string]bool{}
	for i, p := range l.Paths {
		switch {
		case !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#* "):
			errs.add(idx(at+".paths", i), "must be an exact path starting with / (got %q)", p)
		case strings.HasPrefix(p, "/oauth2/"):
			errs.add(idx(at+".paths", i), "%q is oauth2-proxy's own route; pick a path outside /oauth2/", p)
		case underAny(p, publicPaths):
			errs.add(idx(at+".paths", i), "%q is under a public path; logout must be outside spec.publicPaths", p)
		case seen[p]:
			errs.add(idx(at+".paths", i), "duplicates %q", p)
		}
		seen[p] = true
	}
	a := l.AfterLogoutURL
	if strings.HasPrefix(a, "/") && !strings.HasPrefix(a, "//") {
		return
	}
	u, err := url.Parse(a)
	if err == nil && a == l.EndSessionURL && u.Host != "" {
		return // the IdP's end-session endpoint: RP-initiated logout
	}
	if err != nil || public == nil || u.Scheme != public.Scheme || u.Host != public.Host {
		errs.add(at+".afterLogoutURL", "must be a path such as / or a URL on the publicURL host (got %q); other hosts would make logout an open redirect", a)
	}
}

func validateAuthorizer(s Spec, errs *FieldErrors) {
	switch s.Authorizer {
	case AuthorizerOAuth2Proxy:
		if s.IdentityHeaders.User.Prefix != "" {
			errs.add("spec.identityHeaders.user.prefix", "needs authorizer: check-server; with oauth2-proxy, Istio copies the claim into the header as it is")
		}
	case AuthorizerCheckServer:
		cs := s.CheckServer
		checkDNSLabel("spec.checkServer.namespace", cs.Namespace, errs)
		checkImage("spec.checkServer.image", cs.Image, errs)
		if cs.Replicas != nil && *cs.Replicas < 1 {
			errs.add("spec.checkServer.replicas", "must be at least 1, got %d", *cs.Replicas)
		}
		for i, m := range s.MachineIssuers {
			if len(m.Audiences) == 0 {
				errs.add(idx("spec.machineIssuers", i)+".audiences", "is required with authorizer: check-server, which refuses tokens it cannot check the audience of; list the audience the tokens carry")
			}
		}
		if cs.Protocol != "http" && cs.Protocol != "grpc" {
			errs.add("spec.checkServer.protocol", "must be http or grpc, got %q", cs.Protocol)
		}
	default:
		errs.add("spec.authorizer", "must be oauth2-proxy or check-server, got %q", s.Authorizer)
	}
}

// checkURL requires an absolute http(s) URL; https is not forced because
// in-cluster issuers (Dex's service URL) are plain http.
func checkURL(path, raw string, allowQuery bool, errs *FieldErrors) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs.add(path, "must be an absolute http(s) URL, got %q", raw)
		return nil
	}
	if !allowQuery && (u.RawQuery != "" || u.Fragment != "") {
		errs.add(path, "must not carry a query or fragment (got %q)", raw)
	}
	return u
}

func checkDuration(path, raw string, zeroOK bool, errs *FieldErrors) time.Duration {
	d, err := time.ParseDuration(raw)
	switch {
	case err != nil:
		errs.add(path, "must be a duration such as 30s, 59m or 24h, got %q", raw)
	case d < 0 || (d == 0 && !zeroOK):
		errs.add(path, "must be positive, got %q", raw)
	}
	return d
}

var (
	dnsLabelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
	secretKeyRE    = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,253}$`)
)

func checkDNSLabel(path, v string, errs *FieldErrors) {
	if !dnsLabelRE.MatchString(v) {
		errs.add(path, "must be a DNS label (lower-case letters, digits and -, at most 63), got %q", v)
	}
}

func checkDNSSubdomain(path, v string, errs *FieldErrors) {
	if !dnsSubdomainRE.MatchString(v) {
		errs.add(path, "must be a lower-case DNS name (letters, digits, - and .), got %q", v)
	}
}

func checkSecretRef(path string, r SecretKeyRef, errs *FieldErrors) {
	if !dnsSubdomainRE.MatchString(r.Name) {
		errs.add(path+".name", "must name a Secret (lower-case DNS name), got %q", r.Name)
	}
	if !secretKeyRE.MatchString(r.Key) {
		errs.add(path+".key", "must be a Secret key (letters, digits, -, _ and .), got %q", r.Key)
	}
}

// checkImage requires a pinned image: a tag other than latest, or a digest.
func checkImage(path, image string, errs *FieldErrors) {
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	switch {
	case image == "" || strings.ContainsAny(image, " \t\n"):
		errs.add(path, "must be an image reference, got %q", image)
	case strings.Contains(image, "@sha256:"):
	case !strings.Contains(name, ":") || strings.HasSuffix(name, ":latest"):
		errs.add(path, "must be pinned to a version tag or digest, got %q", image)
	}
}

func underAny(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// redactUserInfo hides a password written into a URL, so that a message
// quoting the URL does not spread the secret to logs and CI output.
func redactUserInfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
			return raw[:i+3] + "REDACTED" + raw[j:]
		}
		return raw
	}
	u.User = url.User("REDACTED")
	return u.String()
}
