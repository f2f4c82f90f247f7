package importer

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	csconfig "meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/checkserver/pathmatch"
	"meshauth.dev/meshauth/fn/api"
)

// placeholderURL stands in for a public URL the install does not say.
const placeholderURL = "https://kubeflow.example.com"

// build writes the AuthConfig that reproduces the install, as far as an
// AuthConfig can; what it guessed or could not find goes to the report.
func build(in *install, opts Options, r *Report) api.AuthConfig {
	c := api.AuthConfig{APIVersion: api.APIVersion, Kind: api.Kind, Metadata: api.ObjectMeta{Name: orDefault(opts.Name, "imported")}}
	s := &c.Spec
	custom := pickCustom(in)
	provider := ""
	if custom != nil {
		provider = custom.provider
		s.Gateway.Namespace = custom.namespace
		if len(custom.selector) > 0 {
			s.Gateway.Selector = custom.selector
		}
		s.Istio.ProviderName = custom.provider
	} else {
		r.Missing = append(r.Missing, Item{Why: "no CUSTOM AuthorizationPolicy: the gateway, its selector and the provider name take meshauth's defaults (istio-system, app=istio-ingressgateway, oauth2-proxy)"})
	}
	if in.mesh != nil && provider != "" && !hasProvider(in.mesh, provider) {
		in.note(in.mesh.object, "data[mesh].extensionProviders", "has no provider "+provider+", which the CUSTOM policy names: istiod turns that policy into deny-all today")
	}
	o := in.o2p
	if o == nil {
		o = &o2pFacts{options: map[string]option{}}
		r.Missing = append(r.Missing, Item{Why: "oauth2-proxy: no Deployment and no ConfigMap with oauth2_proxy.cfg; its settings take meshauth's defaults"})
	}
	opt := func(k string) (option, bool) { v, ok := o.options[k]; return v, ok }
	str := func(k string) string { v, _ := opt(k); return v.str }

	s.PublicURL = publicURL(in, opts, str("redirect_url"), r)
	loginIssuer := str("oidc_issuer_url")
	buildIdP(in, s, loginIssuer, r)
	if loginIssuer == "" && s.Dex != nil {
		loginIssuer = s.Dex.IssuerURL
	}
	if loginIssuer == "" {
		loginIssuer = s.OIDC.IssuerURL
	}

	p := &s.OAuth2Proxy
	p.Namespace = o.namespace
	p.Image = o.image
	p.Replicas = o.replicas
	p.ClientID = str("client_id")
	if v, ok := opt("client_id"); ok && v.secret != nil {
		p.ClientID = clientIDFromDex(in)
		if p.ClientID == "" {
			r.Missing = append(r.Missing, Item{Why: "oauth2-proxy's client id: it is in Secret " + v.secretNS + "/" + v.secret.Name + " key " + v.secret.Key + ", which import never reads, and no Dex static client has oauth2-proxy's callback; the AuthConfig keeps the default oauth2-proxy: set spec.oauth2Proxy.clientID"})
		}
		in.note(o.deployment, v.field, "the client id is read from Secret "+v.secretNS+"/"+v.secret.Name+" key "+v.secret.Key+", which import does not read; "+ifElse(p.ClientID != "", "it is taken from Dex's static client whose redirect URI is oauth2-proxy's callback: "+p.ClientID, "set spec.oauth2Proxy.clientID"))
	}
	if ref := secretRef(o, "client_secret"); ref != nil {
		p.ClientSecretRef = *ref
	}
	if ref := secretRef(o, "cookie_secret"); ref != nil {
		p.CookieSecretRef = *ref
	}
	if ru := str("redirect_url"); strings.HasPrefix(ru, "http") {
		p.RedirectURL = ru
	}
	// What the install leaves to oauth2-proxy's defaults is written out, so
	// the AuthConfig reproduces it (or meshauth refuses it, and says so).
	effective := func(k string) string {
		if v, ok := opt(k); ok {
			return v.str
		}
		if in.o2p == nil {
			return ""
		}
		return oauth2ProxyDefaults[k]
	}
	p.Cookie = api.Cookie{Name: effective("cookie_name"), Expire: short(effective("cookie_expire")), Refresh: short(effective("cookie_refresh")), SameSite: str("cookie_samesite")}
	if v, ok := opt("cookie_secure"); ok {
		p.Cookie.Secure = new(v.str == "true")
	}
	if v, ok := opt("cookie_domains"); ok && len(v.list) > 0 {
		p.Cookie.Domains = v.list
	}
	if v, ok := opt("email_domains"); ok {
		p.EmailDomains = v.list
	}
	if v, ok := opt("api_routes"); ok {
		p.APIRoutes = v.list
	}
	sessionStore(o, p, in)
	if v := effective("scope"); v != "" {
		s.OIDC.Scopes = strings.Fields(strings.ReplaceAll(v, ",", " "))
	}
	switch v := str("prompt"); v {
	case "none", "login", "consent", "select_account":
		s.OIDC.Prompt = v
	}
	if v, ok := opt("insecure_oidc_allow_unverified_email"); ok && v.str == "true" {
		s.OIDC.AllowUnverifiedEmail = new(true)
	}
	if v := str("backend_logout_url"); v != "" {
		s.Logout.EndSessionURL, _, _ = strings.Cut(v, "?")
	}

	if custom != nil && in.cs.authorizes(in, custom.provider) {
		cs := in.cs
		s.Authorizer = api.AuthorizerCheckServer
		s.CheckServer = api.CheckServer{Namespace: cs.namespace, Image: cs.image, Replicas: cs.replicas}
		if in.mesh == nil {
			in.note(cs.object, "", "the mesh config is not in the install, so which service the CUSTOM policy asks is not known: the check-server found here is taken as the authorizer (spec.authorizer: check-server)")
		}
		for _, p := range meshProviders(in) {
			if p.GetName() == custom.provider && p.GetEnvoyExtAuthzGrpc() != nil {
				s.CheckServer.Protocol = "grpc"
			}
		}
		if c := cs.cfg; c != nil {
			s.CheckServer.AllowedGroups = c.Identity.AllowedGroups
			for _, t := range c.Identity.UserTransformers {
				s.CheckServer.UserTransformers = append(s.CheckServer.UserTransformers, api.UserTransformer{Match: t.Match, Replace: t.Replace})
			}
			if c.Identity.GroupsFormat != "" {
				s.IdentityHeaders.Groups.Format = c.Identity.GroupsFormat
			}
			if c.Identity.UserPrefix != "" {
				s.IdentityHeaders.User.Prefix = c.Identity.UserPrefix
			}
		}
	} else if in.cs != nil {
		in.note(in.cs.object, "", "a check-server is installed but the CUSTOM policy does not ask it: the AuthConfig keeps authorizer oauth2-proxy")
	}
	dexClients(in, s, p.ClientID)
	public := publicPathsOf(in, custom, o)
	if len(public) > 0 || custom != nil {
		s.PublicPaths = public
	}
	identity(in, s, loginIssuer, p.ClientID, str("oidc_email_claim"), str("user_id_claim"), str("oidc_groups_claim"))
	if s.Authorizer == api.AuthorizerCheckServer && in.cs.cfg != nil {
		checkServerIdentity(in.cs.cfg, s, loginIssuer)
	}
	istioFacts(in, s, r)
	logout(in, s, r)
	if gws := in.routes.oauth2Gateways; len(gws) > 0 {
		s.Gateway.Name = gws[0]
		if !strings.Contains(gws[0], "/") && o.namespace != "" {
			s.Gateway.Name = o.namespace + "/" + gws[0]
		}
	}
	return c
}

func ifElse(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// pickCustom is the CUSTOM policy the stack hangs on: one whose provider is
// an ext_authz provider of the mesh, else the first. Others are reported.
func pickCustom(in *install) *policyFacts {
	var customs []*policyFacts
	for i := range in.policies {
		if in.policies[i].action == "CUSTOM" {
			customs = append(customs, &in.policies[i])
		}
	}
	if len(customs) == 0 {
		return nil
	}
	best := customs[0]
	if in.mesh != nil {
		for _, c := range customs {
			if hasProvider(in.mesh, c.provider) {
				best = c
				break
			}
		}
	}
	for _, c := range customs {
		if c != best && c.provider != best.provider {
			in.cannot(c.object, "spec.provider.name", "a second CUSTOM provider ("+c.provider+" beside "+best.provider+"): an AuthConfig has one ext_authz provider; keep this policy and its mesh provider beside meshauth's output, or drop it")
		}
	}
	return best
}

// publicURL: the flag, else the callback oauth2-proxy or Dex know, else the
// cookie or whitelist domain; else a placeholder the report names.
func publicURL(in *install, opts Options, redirect string, r *Report) string {
	if opts.PublicURL != "" {
		return opts.PublicURL
	}
	root := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, "$*{}") {
			return ""
		}
		return u.Scheme + "://" + u.Host
	}
	if v := root(redirect); v != "" {
		return v
	}
	if in.dex != nil {
		for _, c := range in.dex.cfg.StaticClients {
			for _, u := range c.RedirectURIs {
				if strings.HasSuffix(u, "/oauth2/callback") {
					if v := root(u); v != "" {
						return v
					}
				}
			}
		}
	}
	if in.o2p != nil {
		for _, k := range []string{"whitelist_domains", "cookie_domains"} {
			if v := in.o2p.options[k]; len(v.list) > 0 && !strings.HasPrefix(v.list[0], ".") && !strings.Contains(v.list[0], "*") {
				return "https://" + v.list[0]
			}
		}
	}
	placeholder := placeholderURL
	if in.o2p != nil && in.o2p.options["cookie_secure"].str == "false" {
		placeholder = "http://kubeflow.example.com" // the install serves plain http (cookie_secure = false)
	}
	r.Missing = append(r.Missing, Item{Why: "the public URL: nothing in the install says it (oauth2-proxy's redirect_url is relative or unset); the AuthConfig holds " + placeholder + ": set spec.publicURL, or run import with -public-url"})
	return placeholder
}

// buildIdP decides spec.dex or an external provider.
func buildIdP(in *install, s *api.Spec, issuer string, r *Report) {
	d := in.dex
	if d != nil && d.cfg.Issuer == "" {
		// Dex runs here but its config is out of reach (a Secret).
		where := "is not in the install"
		if d.secretConfig != "" {
			where = "is in " + d.secretConfig + " (the Dex Helm chart's way), which import never reads"
		}
		s.Dex = &api.Dex{Namespace: d.namespace, Deployment: d.deployment, Container: d.container, IssuerURL: issuer}
		r.Missing = append(r.Missing, Item{Object: d.object, Why: "Dex's config " + where + ": meshauth merges oauth2-proxy's client into a ConfigMap (spec.dex.configMap, default dex): move the config there (its secrets as secretEnv), or set spec.oidc.issuerURL without spec.dex and register the client in Dex yourself"})
		return
	}
	if d != nil && (issuer == "" || issuer == d.cfg.Issuer) {
		s.Dex = &api.Dex{Namespace: d.namespace, ConfigMap: d.configMap, Deployment: d.deployment, Container: d.container, IssuerURL: d.cfg.Issuer, PasswordConnector: d.cfg.PasswordConnector}
		if d.deployment == "" {
			r.Missing = append(r.Missing, Item{Why: "Dex's Deployment (mounting ConfigMap " + d.namespace + "/" + d.configMap + "): the AuthConfig names " + d.namespace + "/dex, whose env gets the client secret"})
			s.Dex.Deployment = ""
		}
		return
	}
	if d != nil {
		in.cannot(d.object, "data[config.yaml].issuer", "Dex's issuer "+d.cfg.Issuer+" is not oauth2-proxy's issuer "+issuer+": the Dex config is not the login provider and is left alone")
	}
	if issuer == "" {
		r.Missing = append(r.Missing, Item{Why: "the login issuer: neither oauth2-proxy's oidc_issuer_url nor a Dex config is in the install; the AuthConfig uses the bundled Dex's defaults"})
		return
	}
	u, _ := url.Parse(issuer)
	host := ""
	if u != nil {
		host = u.Hostname()
	}
	if strings.HasPrefix(host, "dex.") || strings.Contains(issuer, "/dex") {
		ns := "auth"
		if parts := strings.Split(host, "."); len(parts) > 2 && parts[0] == "dex" {
			ns = parts[1]
		}
		s.Dex = &api.Dex{Namespace: ns, IssuerURL: issuer}
		r.Missing = append(r.Missing, Item{Why: "Dex's config: oauth2-proxy logs in against Dex (" + issuer + ") but ConfigMap " + ns + "/dex is not in the install; meshauth merges oauth2-proxy's static client into it: add Dex's manifests to what you render, or set spec.oidc.issuerURL (no spec.dex) and register the client at Dex yourself"})
		return
	}
	s.OIDC.IssuerURL = issuer
	switch {
	case strings.Contains(host, "login.microsoftonline.com"):
		s.OIDC.Provider = api.ProviderEntra
	case strings.Contains(issuer, "/realms/"):
		s.OIDC.Provider = api.ProviderKeycloak
	case strings.Contains(host, "okta"):
		s.OIDC.Provider = api.ProviderOkta
	default:
		s.OIDC.Provider = api.ProviderGeneric
	}
}

func clientIDFromDex(in *install) string {
	if in.dex == nil {
		return ""
	}
	for _, c := range in.dex.cfg.StaticClients {
		for _, u := range c.RedirectURIs {
			if strings.HasSuffix(u, "/oauth2/callback") && c.ID != "" {
				return c.ID
			}
		}
	}
	return ""
}

// secretRef names the Secret key an oauth2-proxy secret comes from; a
// secret written in a ConfigMap or the Deployment is never copied.
func secretRef(o *o2pFacts, option string) *api.SecretKeyRef {
	return o.options[option].secret
}

func sessionStore(o *o2pFacts, p *api.OAuth2Proxy, in *install) {
	v := o.options["session_store_type"]
	if v.str != "redis" {
		return
	}
	rd := &api.Redis{}
	if u := o.options["redis_connection_url"]; u.str != "" {
		rd.Address = u.str
		if pu, err := url.Parse(u.str); err == nil && pu.User != nil {
			pu.User = nil
			rd.Address = pu.String()
			in.note(u.object, u.field, "redis_connection_url carries credentials, which import does not copy: put the password in a Secret and set spec.oauth2Proxy.sessionStore.redis.passwordSecretRef")
		}
	}
	if o.options["redis_use_sentinel"].str == "true" {
		rd.Address = ""
		rd.Sentinel = &api.RedisSentinel{MasterName: o.options["redis_sentinel_master_name"].str, Addresses: o.options["redis_sentinel_connection_urls"].list}
		rd.Sentinel.PasswordSecretRef = secretRef(o, "redis_sentinel_password")
	}
	if o.options["redis_use_cluster"].str == "true" {
		rd.Address = ""
		rd.Cluster = &api.RedisCluster{Addresses: o.options["redis_cluster_connection_urls"].list}
	}
	rd.PasswordSecretRef = secretRef(o, "redis_password")
	if ca := o.options["redis_ca_path"]; ca.str != "" {
		rd.CASecretRef = o.secretFile(ca.str)
		if rd.CASecretRef == nil {
			in.cannot(ca.object, ca.field, "redis_ca_path "+ca.str+" is not a Secret key mounted into oauth2-proxy: spec.oauth2Proxy.sessionStore.redis.caSecretRef names a Secret key")
		}
	}
	p.SessionStore = api.SessionStore{Type: "redis", Redis: rd}
}

var routeMethod = regexp.MustCompile(`^[A-Z]+!?=`)

// publicPathsOf: the CUSTOM policy's notPaths and oauth2-proxy's
// skip_auth_routes that are plain prefixes; the rest is reported.
func publicPathsOf(in *install, custom *policyFacts, o *o2pFacts) []string {
	var out []string
	add := func(p string) {
		if p == "/oauth2/" || slices.Contains(out, p) {
			return
		}
		out = append(out, p)
	}
	if custom != nil {
		for _, np := range custom.notPaths {
			p := strings.TrimRight(np, "*")
			if strings.HasSuffix(p, "/") && p != "/" && pathmatch.Plain(p) {
				add(p)
			} else if p != "/oauth2/" {
				in.cannot(custom.object, "spec.rules[0].to[0].operation.notPaths", "notPath "+np+" is not a plain prefix ending in /: public paths are plain prefixes (docs/public-paths.md)")
			}
		}
		if custom.classifier {
			for _, p := range in.classifier {
				add(p)
			}
		}
		if in.cs.authorizes(in, custom.provider) {
			for _, p := range in.cs.skipPaths() {
				add(p)
			}
		}
	}
	if v, ok := o.options["skip_auth_routes"]; ok {
		for _, route := range v.list {
			rt := routeMethod.ReplaceAllString(route, "")
			p := strings.TrimPrefix(rt, "^")
			if routeMethod.MatchString(route) || !strings.HasSuffix(p, "/") || regexp.QuoteMeta(p) != p || !pathmatch.Plain(p) || p == "/" {
				in.cannot(v.object, v.field, "skip_auth_routes entry "+route+" is not a plain path prefix (a method, or a regex beyond ^/prefix/): meshauth opens public paths by prefix at the gateway, for every method")
				continue
			}
			add(p)
		}
	}
	slices.Sort(out)
	return out
}

// identity: the claims the login issuer's jwtRule maps to headers, or
// oauth2-proxy's claims; the other issuers become machine issuers.
func identity(in *install, s *api.Spec, loginIssuer, clientID, emailClaim, userIDClaim, groupsClaim string) {
	var machine []api.MachineIssuer
	for _, j := range in.jwt {
		r := j.rule
		user, userClaim, groups, groupsC := "", "", "", ""
		for _, h := range r.GetOutputClaimToHeaders() {
			if h.GetClaim() == "email_verified" {
				continue // meshauth's flag for the DENY rule, not an identity
			}
			if h.GetClaim() == orDefault(groupsClaim, "groups") || strings.Contains(strings.ToLower(h.GetHeader()), "group") {
				groups, groupsC = strings.ToLower(h.GetHeader()), h.GetClaim()
			} else {
				user, userClaim = strings.ToLower(h.GetHeader()), h.GetClaim()
			}
		}
		if r.GetIssuer() == loginIssuer && (len(r.GetAudiences()) == 0 || slices.Contains(r.GetAudiences(), clientID)) {
			if user != "" {
				s.IdentityHeaders.User = api.UserHeader{Header: user, Claim: userClaim}
			}
			if groups != "" {
				s.IdentityHeaders.Groups = api.GroupsHeader{Header: groups, Claim: groupsC}
			}
			for _, a := range r.GetAudiences() {
				if a != clientID && !slices.Contains(s.OIDC.Audiences, a) {
					s.OIDC.Audiences = append(s.OIDC.Audiences, a)
				}
			}
			continue
		}
		machine = append(machine, api.MachineIssuer{Issuer: r.GetIssuer(), JWKSURI: r.GetJwksUri(), Audiences: r.GetAudiences(), UserClaim: userClaim})
	}
	if s.IdentityHeaders.User.Claim == "" {
		switch {
		case emailClaim != "" && emailClaim != "email":
			s.IdentityHeaders.User.Claim = emailClaim
		case userIDClaim != "":
			s.IdentityHeaders.User.Claim = userIDClaim
		}
	}
	if s.IdentityHeaders.Groups.Claim == "" && groupsClaim != "" && groupsClaim != "groups" {
		s.IdentityHeaders.Groups.Claim = groupsClaim
	}
	s.MachineIssuers = machine
}

func istioFacts(in *install, s *api.Spec, r *Report) {
	if in.mesh == nil || in.istiod == nil {
		s.Istio.ManagedBy = api.ManagedByExternal
		var lacks []string
		if in.mesh == nil {
			lacks = append(lacks, "the mesh ConfigMap (istio-system/istio, key mesh)")
		}
		if in.istiod == nil {
			lacks = append(lacks, "istiod's Deployment")
		}
		r.Missing = append(r.Missing, Item{Why: strings.Join(lacks, " and ") + ": the AuthConfig sets spec.istio.managedBy: external, so meshauth prints the extension provider and istiod's env to add where Istio is installed instead of patching them; set it back to package when you render over an install that holds them"})
	}
	if in.mesh != nil {
		s.Istio.Mesh = api.Mesh{ConfigMap: api.ObjectRef{Namespace: in.mesh.namespace, Name: in.mesh.name}, Key: in.mesh.key}
		for _, p := range in.mesh.providers {
			if p.GetName() != s.Istio.ProviderName && !(s.Istio.ProviderName == "" && p.GetName() == "oauth2-proxy") {
				continue
			}
			if h := p.GetEnvoyExtAuthzHttp(); h != nil && h.GetTimeout() != nil {
				s.Istio.ExtAuthzTimeout = short(h.GetTimeout().AsDuration().String())
			}
			if g := p.GetEnvoyExtAuthzGrpc(); g != nil && g.GetTimeout() != nil {
				s.Istio.ExtAuthzTimeout = short(g.GetTimeout().AsDuration().String())
			}
		}
	}
	if d := in.istiod; d != nil {
		s.Istio.Istiod = api.Istiod{Namespace: d.namespace, Deployment: d.name, Container: d.container}
		if v, _ := in.get("istiod PILOT_JWT_PUB_KEY_REFRESH_INTERVAL"); !strings.Contains(v, "default") {
			s.Istio.JWKSRefreshInterval = short(v)
		}
	}
}

func logout(in *install, s *api.Spec, r *Report) {
	vs := in.routes.logoutVS
	if vs == nil {
		vs = in.routes.dashboardVS
	}
	if vs != nil {
		s.Logout.VirtualService = api.ObjectRef{Namespace: vs[0], Name: vs[1]}
	} else {
		r.Missing = append(r.Missing, Item{Why: "the dashboard VirtualService (a catch-all / route, or one with a /logout redirect): the AuthConfig keeps the default kubeflow/centraldashboard for the logout route; render over an install that holds it, or set spec.logout.virtualService"})
	}
	var paths []string
	for _, k := range in.keys() {
		if p, ok := strings.CutPrefix(k, "logout "); ok {
			paths = append(paths, p)
		}
	}
	if len(paths) > 0 {
		s.Logout.Paths = paths
	}
}

func hasProvider(m *meshFacts, name string) bool {
	for _, p := range m.providers {
		if p.GetName() == name {
			return true
		}
	}
	return false
}

// short writes a canonical duration the way people do: 24h, 59m, 1h30m.
func short(d string) string {
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return d
}

// checkServerIdentity: with the check-server as authorizer there is no
// RequestAuthentication; its config says the headers, the claims and the
// machine issuers.
func checkServerIdentity(c *csconfig.Config, s *api.Spec, loginIssuer string) {
	s.IdentityHeaders.User.Header = strings.ToLower(c.Identity.UserHeader)
	s.IdentityHeaders.Groups.Header = strings.ToLower(c.Identity.GroupsHeader)
	s.MachineIssuers = nil
	for _, is := range c.Issuers {
		if is.Issuer == loginIssuer {
			s.IdentityHeaders.User.Claim, s.IdentityHeaders.Groups.Claim = is.UserClaim, is.GroupsClaim
			continue
		}
		s.MachineIssuers = append(s.MachineIssuers, api.MachineIssuer{Issuer: is.Issuer, JWKSURI: is.JWKSURI, Audiences: is.Audiences, UserClaim: is.UserClaim})
	}
}

func meshProviders(in *install) []*meshv1alpha1.MeshConfig_ExtensionProvider {
	if in.mesh == nil {
		return nil
	}
	return in.mesh.providers
}

// dexClients: the secret ref of oauth2-proxy's own Dex client, and the
// other static clients an audience names (the RequestAuthentication
// accepts their tokens, and spec.oidc.audiences must be Dex clients).
// Clients no audience names are kept by the merge as they are.
func dexClients(in *install, s *api.Spec, clientID string) {
	d := in.dex
	if d == nil || s.Dex == nil {
		return
	}
	for i, c := range d.cfg.StaticClients {
		at := idx("data[config.yaml].staticClients", i)
		ref, resolved := d.secretEnv[c.SecretEnv]
		switch {
		case c.ID == clientID && c.ID != "":
			if resolved {
				s.Dex.ClientSecretRef = ref
			}
		case c.ID != "" && slices.Contains(s.OIDC.Audiences, c.ID):
			dc := api.DexClient{ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs, Public: c.Public}
			switch {
			case c.Public:
			case resolved:
				dc.SecretRef = &ref
			default:
				in.cannot(d.object, at, "Dex client "+c.ID+" (an audience of the login issuer) keeps its secret in the config or in an environment variable not from a Secret: spec.dex.clients[].secretRef names a Secret key; add it there")
				continue
			}
			s.Dex.Clients = append(s.Dex.Clients, dc)
		}
	}
}
