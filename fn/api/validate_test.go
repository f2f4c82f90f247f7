package api

import (
	"strings"
	"testing"
)

// valid returns a defaulted AuthConfig that passes validation; scenarios
// break one thing each.
func valid() AuthConfig {
	return Defaulted(AuthConfig{
		APIVersion: APIVersion, Kind: Kind,
		Metadata: ObjectMeta{Name: "kubeflow"},
		Spec:     Spec{PublicURL: "https://kubeflow.example.com"},
	})
}

func TestValidateAcceptsDefaults(t *testing.T) {
	if errs := Validate(valid()); len(errs) > 0 {
		t.Fatalf("the default AuthConfig is invalid:\n%v", errs)
	}
}

func TestValidate(t *testing.T) {
	type scenario struct {
		mutate func(c *AuthConfig)
		// regenerate defaults after mutating (for fields defaults derive from)
		redefault bool
		path, msg string
	}
	for name, sc := range map[string]scenario{
		"wrong apiVersion":      {mutate: func(c *AuthConfig) { c.APIVersion = "meshauth.dev/v1" }, path: "apiVersion", msg: `must be "meshauth.dev/v1alpha1"`},
		"missing name":          {mutate: func(c *AuthConfig) { c.Metadata.Name = "" }, path: "metadata.name", msg: "is required"},
		"publicURL missing":     {mutate: func(c *AuthConfig) { c.Spec.PublicURL = "" }, path: "spec.publicURL", msg: "is required"},
		"publicURL relative":    {mutate: func(c *AuthConfig) { c.Spec.PublicURL = "kubeflow.example.com" }, path: "spec.publicURL", msg: "absolute http(s) URL"},
		"publicURL with a path": {mutate: func(c *AuthConfig) { c.Spec.PublicURL = "https://x.example.com/kf" }, path: "spec.publicURL", msg: "root of the host"},
		"public path is the root": {mutate: func(c *AuthConfig) { c.Spec.PublicPaths = []string{"/"} },
			path: "spec.publicPaths[0]", msg: "switch authentication off"},
		"public path is a regex": {mutate: func(c *AuthConfig) { c.Spec.PublicPaths = []string{"/dex/.*/"} },
			path: "spec.publicPaths[0]", msg: "literal path prefix"},
		"public path without slash": {mutate: func(c *AuthConfig) { c.Spec.PublicPaths = []string{"/dex"} },
			path: "spec.publicPaths[0]", msg: "starting and ending with /"},
		"gateway namespace": {mutate: func(c *AuthConfig) { c.Spec.Gateway.Namespace = "Istio_System" }, path: "spec.gateway.namespace", msg: "DNS label"},
		"empty selector value": {mutate: func(c *AuthConfig) { c.Spec.Gateway.Selector = map[string]string{"app": ""} },
			path: "spec.gateway.selector.app", msg: "must not be empty"},
		"oidc issuer differs from dex": {mutate: func(c *AuthConfig) { c.Spec.OIDC.IssuerURL = "https://other.example.com" },
			path: "spec.oidc.issuerURL", msg: "must be equal"},
		"no openid scope": {mutate: func(c *AuthConfig) { c.Spec.OIDC.Scopes = []string{"email"} }, path: "spec.oidc.scopes", msg: "must include openid"},
		"refresh without offline_access": {mutate: func(c *AuthConfig) { c.Spec.OIDC.Scopes = []string{"openid", "email"} },
			path: "spec.oauth2Proxy.cookie.refresh", msg: "add offline_access"},
		"duplicate client id": {mutate: func(c *AuthConfig) {
			c.Spec.Dex.Clients = []DexClient{{ID: "oauth2-proxy", RedirectURIs: []string{"https://a.example.com/cb"}, Public: true}}
		}, path: "spec.dex.clients[0].id", msg: "already used by spec.oauth2Proxy.clientID"},
		"confidential client without secret": {mutate: func(c *AuthConfig) {
			c.Spec.Dex.Clients = []DexClient{{ID: "cli", RedirectURIs: []string{"https://a.example.com/cb"}}}
		}, path: "spec.dex.clients[0].secretRef", msg: "is required for a confidential client"},
		"client redirect relative": {mutate: func(c *AuthConfig) {
			c.Spec.Dex.Clients = []DexClient{{ID: "cli", RedirectURIs: []string{"/cb"}, Public: true}}
		}, path: "spec.dex.clients[0].redirectURIs[0]", msg: "absolute http(s) URL"},
		"secret ref missing key": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.ClientSecretRef.Key = "" },
			path: "spec.oauth2Proxy.clientSecretRef.key", msg: "must be a Secret key"},
		"image latest": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Image = "quay.io/oauth2-proxy/oauth2-proxy" },
			path: "spec.oauth2Proxy.image", msg: "pinned"},
		"image digest is pinned enough": {mutate: func(c *AuthConfig) {
			c.Spec.OAuth2Proxy.Image = "quay.io/o/o@sha256:0000000000000000000000000000000000000000000000000000000000000000"
			c.Metadata.Name = ""
		}, path: "metadata.name", msg: "is required"},
		"zero replicas": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Replicas = new(int32(0)) }, path: "spec.oauth2Proxy.replicas", msg: "at least 1"},
		"redirect URL on another host": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.RedirectURL = "https://evil.example.net/oauth2/callback" },
			path: "spec.oauth2Proxy.redirectURL", msg: "must be \"https://kubeflow.example.com/oauth2/callback\""},
		"redirect URL on another path": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.RedirectURL = "https://kubeflow.example.com/callback" },
			path: "spec.oauth2Proxy.redirectURL", msg: "receives the callback at /oauth2/callback"},
		"cookie name with a space":     {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Cookie.Name = "my cookie" }, path: "spec.oauth2Proxy.cookie.name", msg: "cookie name"},
		"cookie expire not a duration": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Cookie.Expire = "1d" }, path: "spec.oauth2Proxy.cookie.expire", msg: "must be a duration"},
		"refresh not below expire": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Cookie.Refresh = "24h" },
			path: "spec.oauth2Proxy.cookie.refresh", msg: "must be shorter than cookie.expire"},
		"insecure cookie on https": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Cookie.Secure = new(false) },
			path: "spec.oauth2Proxy.cookie.secure", msg: "must be true when spec.publicURL is https"},
		"secure cookie on http": {mutate: func(c *AuthConfig) { c.Spec.PublicURL = "http://127.0.0.1:8080"; c.Spec.OAuth2Proxy.RedirectURL = "" }, redefault: true,
			path: "spec.oauth2Proxy.cookie.secure", msg: "publicURL is http"},
		"sameSite none without secure": {mutate: func(c *AuthConfig) {
			c.Spec.PublicURL = "http://127.0.0.1:8080"
			c.Spec.OAuth2Proxy.RedirectURL = ""
			c.Spec.OAuth2Proxy.Cookie.Secure = new(false)
			c.Spec.OAuth2Proxy.Cookie.SameSite = "none"
		}, redefault: true, path: "spec.oauth2Proxy.cookie.sameSite", msg: "requires cookie.secure"},
		"cookie domain elsewhere": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.Cookie.Domains = []string{".example.net"} },
			path: "spec.oauth2Proxy.cookie.domains[0]", msg: "does not cover"},
		"bad api route": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.APIRoutes = []string{"/api/", "[a-"} },
			path: "spec.oauth2Proxy.apiRoutes[1]", msg: "not a valid regular expression"},
		"redis without address": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.SessionStore.Type = "redis" },
			path: "spec.oauth2Proxy.sessionStore.redis.address", msg: "is required with type redis"},
		"redis CA with a plain address": {mutate: func(c *AuthConfig) {
			c.Spec.OAuth2Proxy.SessionStore = SessionStore{Type: "redis", Redis: &Redis{Address: "redis://redis:6379", CASecretRef: &SecretKeyRef{Name: "ca", Key: "ca.crt"}}}
		}, path: "spec.oauth2Proxy.sessionStore.redis.address", msg: "use rediss://"},
		"redis CA with a plain sentinel": {mutate: func(c *AuthConfig) {
			c.Spec.OAuth2Proxy.SessionStore = SessionStore{Type: "redis", Redis: &Redis{CASecretRef: &SecretKeyRef{Name: "ca", Key: "ca.crt"},
				Sentinel: &RedisSentinel{MasterName: "m", Addresses: []string{"rediss://s-0:26379", "redis://s-1:26379"}}}}
		}, path: "spec.oauth2Proxy.sessionStore.redis.sentinel.addresses[1]", msg: "speaks TLS"},
		"redis password in URL": {mutate: func(c *AuthConfig) {
			c.Spec.OAuth2Proxy.SessionStore = SessionStore{Type: "redis", Redis: &Redis{Address: "redis://:hunter2@redis:6379"}}
		}, path: "spec.oauth2Proxy.sessionStore.redis.address", msg: "without a password"},
		"unknown session store": {mutate: func(c *AuthConfig) { c.Spec.OAuth2Proxy.SessionStore.Type = "memcached" },
			path: "spec.oauth2Proxy.sessionStore.type", msg: "must be cookie or redis"},
		"header with upper case": {mutate: func(c *AuthConfig) { c.Spec.IdentityHeaders.User.Header = "Kubeflow-Userid" },
			path: "spec.identityHeaders.user.header", msg: "lower-case HTTP header name"},
		"header owned by the gateway": {mutate: func(c *AuthConfig) { c.Spec.IdentityHeaders.Groups.Header = "x-envoy-groups" },
			path: "spec.identityHeaders.groups.header", msg: "owns"},
		"same user and groups header": {mutate: func(c *AuthConfig) { c.Spec.IdentityHeaders.Groups.Header = "kubeflow-userid" },
			path: "spec.identityHeaders.groups.header", msg: "must differ"},
		"prefix with oauth2-proxy": {mutate: func(c *AuthConfig) { c.Spec.IdentityHeaders.User.Prefix = "oidc:" },
			path: "spec.identityHeaders.user.prefix", msg: "needs authorizer: check-server"},
		"machine issuer duplicates the login issuer": {mutate: func(c *AuthConfig) {
			c.Spec.MachineIssuers = []MachineIssuer{{Issuer: c.Spec.OIDC.IssuerURL}}
		}, redefault: true, path: "spec.machineIssuers[0].issuer", msg: "already trusted by spec.oidc.issuerURL"},
		"machine issuers with the same derived name": {mutate: func(c *AuthConfig) {
			c.Spec.MachineIssuers = []MachineIssuer{{Issuer: "https://a.example.com/x"}, {Issuer: "https://a.example.com/y"}}
		}, redefault: true, path: "spec.machineIssuers[1].name", msg: "set distinct names"},
		"machine issuer jwks not a URL": {mutate: func(c *AuthConfig) {
			c.Spec.MachineIssuers = []MachineIssuer{{Issuer: "https://a.example.com", JWKSURI: "keys.json"}}
		}, redefault: true, path: "spec.machineIssuers[0].jwksURI", msg: "absolute http(s) URL"},
		"timeout too long":      {mutate: func(c *AuthConfig) { c.Spec.Istio.ExtAuthzTimeout = "15m" }, path: "spec.istio.extAuthzTimeout", msg: "at most 600s"},
		"refresh interval zero": {mutate: func(c *AuthConfig) { c.Spec.Istio.JWKSRefreshInterval = "0s" }, path: "spec.istio.jwksRefreshInterval", msg: "must be positive"},
		"logout under /oauth2/": {mutate: func(c *AuthConfig) { c.Spec.Logout.Paths = []string{"/oauth2/logout"} }, path: "spec.logout.paths[0]", msg: "oauth2-proxy's own route"},
		"logout to another host": {mutate: func(c *AuthConfig) { c.Spec.Logout.AfterLogoutURL = "https://evil.example.net/" },
			path: "spec.logout.afterLogoutURL", msg: "open redirect"},
		"logout to a protocol-relative URL": {mutate: func(c *AuthConfig) { c.Spec.Logout.AfterLogoutURL = "//evil.example.net/" },
			path: "spec.logout.afterLogoutURL", msg: "open redirect"},
		"unknown authorizer": {mutate: func(c *AuthConfig) { c.Spec.Authorizer = "envoy" }, path: "spec.authorizer", msg: "must be oauth2-proxy or check-server"},
		"check-server protocol": {mutate: func(c *AuthConfig) { c.Spec.Authorizer = AuthorizerCheckServer; c.Spec.CheckServer.Protocol = "tcp" },
			path: "spec.checkServer.protocol", msg: "must be http or grpc"},
	} {
		t.Run(name, func(t *testing.T) {
			c := valid()
			sc.mutate(&c)
			if sc.redefault {
				c = Defaulted(c)
			}
			errs := Validate(c)
			for _, e := range errs {
				if e.Path == sc.path && strings.Contains(e.Message, sc.msg) {
					return
				}
			}
			t.Errorf("want an error at %s containing %q, got:\n%v", sc.path, sc.msg, errs)
		})
	}
}

// TestValidateReportsEverything: independent problems are all reported.
func TestValidateReportsEverything(t *testing.T) {
	c := valid()
	c.Metadata.Name = ""
	c.Spec.Authorizer = "x"
	c.Spec.OAuth2Proxy.Cookie.Name = "a b"
	c.Spec.Istio.ExtAuthzTimeout = "x"
	if got := len(Validate(c)); got != 4 {
		t.Errorf("got %d errors, want 4: %v", got, Validate(c))
	}
}
