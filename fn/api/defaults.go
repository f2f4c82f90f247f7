package api

import (
	"strings"

	csconfig "meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/versions"
)

// CallbackPath is where oauth2-proxy (proxy prefix /oauth2) receives the
// authorization code.
const CallbackPath = "/oauth2/callback"

// Defaulted returns a copy of c with every unset field filled in. The defaults
// reproduce the Kubeflow layout (kubeflow/manifests common/oauth2-proxy,
// common/dex, common/istio), so an empty spec renders what Kubeflow ships,
// minus its known flaws.
func Defaulted(c AuthConfig) AuthConfig {
	s := &c.Spec
	defaultGatewayAndDex(s)
	applyProfile(s)
	defaultOAuth2Proxy(s)
	defaultIdentity(s)
	defaultIstioAndLogout(s)
	defaultAuthorizer(s)
	defaultSessionDomain(s)
	return c
}

// defaultGatewayAndDex fills the gateway and, unless an external issuer is
// named, Dex; it runs before the provider profile, which reads s.Dex.
func defaultGatewayAndDex(s *Spec) {
	g := &s.Gateway
	def(&g.API, GatewayIstio)
	if g.GatewayAPI() {
		// A Kubernetes Gateway: the policies go to its namespace (Istio
		// matches targetRefs only there), and Istio labels the pods it
		// deploys for it with its name.
		if ns, _, ok := strings.Cut(g.Name, "/"); ok {
			def(&g.Namespace, ns)
		}
	}
	def(&g.Namespace, "istio-system")
	if g.GatewayAPI() {
		def(&g.Name, g.Namespace+"/kubeflow-gateway")
		if !strings.Contains(g.Name, "/") {
			g.Name = g.Namespace + "/" + g.Name
		}
		if len(g.Selector) == 0 {
			g.Selector = map[string]string{GatewayNameLabel: g.GatewayName()}
		}
	}
	if len(g.Selector) == 0 {
		g.Selector = map[string]string{"app": "istio-ingressgateway"}
	}
	def(&g.Name, "kubeflow/kubeflow-gateway")

	// Dex is the identity provider unless an external issuer is named.
	if s.Dex == nil && s.OIDC.IssuerURL == "" && (s.OIDC.Provider == "" || s.OIDC.Provider == ProviderDex) {
		s.Dex = &Dex{}
	}
	if d := s.Dex; d != nil {
		def(&d.Namespace, "auth")
		def(&d.ConfigMap, "dex")
		def(&d.Deployment, "dex")
		def(&d.Container, "dex")
		def(&d.IssuerURL, "http://dex."+d.Namespace+".svc.cluster.local:5556/dex")
		def(&d.ClientSecretRef.Name, "oauth2-proxy-client")
		def(&d.ClientSecretRef.Key, "client-secret")
		def(&s.OIDC.IssuerURL, d.IssuerURL)
		if s.PublicPaths == nil {
			s.PublicPaths = []string{"/dex/"}
		}
	}
}

func defaultOAuth2Proxy(s *Spec) {
	p := &s.OAuth2Proxy
	def(&p.Namespace, "oauth2-proxy")
	def(&p.Image, versions.OAuth2ProxyImage)
	if p.Replicas == nil {
		p.Replicas = new(int32(2))
	}
	def(&p.ClientID, "oauth2-proxy")
	def(&p.RedirectURL, strings.TrimSuffix(s.PublicURL, "/")+CallbackPath)
	def(&p.ClientSecretRef.Name, "oauth2-proxy")
	def(&p.ClientSecretRef.Key, "client-secret")
	def(&p.CookieSecretRef.Name, "oauth2-proxy")
	def(&p.CookieSecretRef.Key, "cookie-secret")
	def(&p.Cookie.Name, "oauth2_proxy_kubeflow")
	// Dex's ID tokens live 24h; a longer cookie would outlive the JWT Istio checks.
	def(&p.Cookie.Expire, "24h")
	def(&p.Cookie.SameSite, "lax")
	if p.Cookie.Secure == nil {
		p.Cookie.Secure = new(strings.HasPrefix(s.PublicURL, "https://"))
	}
	if p.EmailDomains == nil {
		p.EmailDomains = []string{"*"}
	}
	if p.APIRoutes == nil {
		p.APIRoutes = []string{"/api/", "/apis/", "^/ml_metadata"}
	}
	def(&p.SessionStore.Type, "cookie")
}

func defaultIdentity(s *Spec) {
	def(&s.IdentityHeaders.User.Header, csconfig.DefaultUserHeader)
	def(&s.IdentityHeaders.Groups.Header, csconfig.DefaultGroupsHeader)

	for i := range s.MachineIssuers {
		m := &s.MachineIssuers[i]
		def(&m.UserClaim, "sub")
		def(&m.Name, "m2m-"+dnsLabel(hostOf(m.Issuer)))
	}
}

func defaultIstioAndLogout(s *Spec) {
	i := &s.Istio
	def(&i.ManagedBy, ManagedByPackage)
	def(&i.ProviderName, "oauth2-proxy")
	def(&i.Mesh.ConfigMap.Namespace, "istio-system")
	def(&i.Mesh.ConfigMap.Name, "istio")
	def(&i.Mesh.Key, "mesh")
	def(&i.ExtAuthzTimeout, "10s")
	def(&i.Istiod.Namespace, "istio-system")
	def(&i.Istiod.Deployment, "istiod")
	def(&i.Istiod.Container, "discovery")
	def(&i.JWKSRefreshInterval, "1m")

	l := &s.Logout
	if !s.Gateway.GatewayAPI() {
		// With gateway-api the logout redirect is an HTTPRoute of its own:
		// there is no VirtualService to put it in.
		def(&l.VirtualService.Namespace, "kubeflow")
		def(&l.VirtualService.Name, "centraldashboard")
	}
	if l.Paths == nil {
		l.Paths = []string{"/logout", "/authservice/logout"}
	}
	// With RP-initiated logout the browser ends at the IdP's end-session
	// endpoint, which ends the IdP session too.
	def(&l.AfterLogoutURL, l.EndSessionURL)
	def(&l.AfterLogoutURL, "/")
}

// defaultAuthorizer runs last: the check-server's namespace follows
// oauth2-proxy's, and the groups format follows the authorizer.
func defaultAuthorizer(s *Spec) {
	g := &s.IdentityHeaders.Groups
	def(&s.Authorizer, AuthorizerOAuth2Proxy)
	// Envoy's jwt_authn (the oauth2-proxy authorizer's only path) can only
	// write a list claim as base64 of its JSON; the check-server joins.
	if s.Authorizer == AuthorizerCheckServer {
		def(&g.Format, GroupsCSV)
	}
	def(&g.Format, GroupsJSONBase64)
	cs := &s.CheckServer
	def(&cs.Namespace, s.OAuth2Proxy.Namespace)
	def(&cs.Image, versions.CheckServerImage)
	if cs.Replicas == nil {
		cs.Replicas = new(int32(2))
	}
	def(&cs.Protocol, "http")
}

func def(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

// dnsLabel turns a host into something usable in an object name.
func dnsLabel(host string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 50 {
		out = strings.Trim(out[:50], "-")
	}
	if out == "" {
		out = "issuer"
	}
	return out
}

func hostOf(rawURL string) string {
	rest := rawURL
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// defaultSessionDomain: hosts that share the login session get the
// cookie for the parent domain they share with the publicURL's host.
func defaultSessionDomain(s *Spec) {
	if len(s.OAuth2Proxy.Cookie.Domains) > 0 {
		return
	}
	parent, shared := strings.Split(hostOf(s.PublicURL), ":")[0], false
	for _, h := range s.Access.Hosts {
		if !h.MachinesOnly {
			parent, shared = commonParent(parent, h.Name), true
		}
	}
	if !shared {
		return
	}
	if parent != "" {
		s.OAuth2Proxy.Cookie.Domains = []string{"." + parent}
	}
}
