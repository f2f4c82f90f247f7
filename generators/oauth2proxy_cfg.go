package generators

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"meshauth.dev/meshauth/fn/api"
)

// oauth2ProxyPort and oauth2ProxyMetricsPort are the container ports.
const (
	oauth2ProxyPort        = 4180
	oauth2ProxyMetricsPort = 44180
)

// proxyConfig is oauth2_proxy.cfg. Field order is output order; durations
// are strings because TOML integers would be read as nanoseconds. Secrets
// are never here: they reach the container as env from secretKeyRef.
type proxyConfig struct {
	Provider            string   `toml:"provider"`
	ProviderDisplayName string   `toml:"provider_display_name,omitempty"`
	OIDCIssuerURL       string   `toml:"oidc_issuer_url"`
	SkipOIDCDiscovery   bool     `toml:"skip_oidc_discovery,omitempty"`
	LoginURL            string   `toml:"login_url,omitempty"`
	RedeemURL           string   `toml:"redeem_url,omitempty"`
	OIDCJWKSURL         string   `toml:"oidc_jwks_url,omitempty"`
	OIDCGroupsClaim     string   `toml:"oidc_groups_claim"`
	OIDCEmailClaim      string   `toml:"oidc_email_claim,omitempty"`
	UserIDClaim         string   `toml:"user_id_claim,omitempty"`
	AllowUnverified     bool     `toml:"insecure_oidc_allow_unverified_email,omitempty"`
	ClientID            string   `toml:"client_id"`
	RedirectURL         string   `toml:"redirect_url"`
	Scope               string   `toml:"scope"`
	CodeChallenge       string   `toml:"code_challenge_method"`
	Prompt              string   `toml:"prompt"`
	EmailDomains        []string `toml:"email_domains"`
	WhitelistDomains    []string `toml:"whitelist_domains"`
	BackendLogoutURL    string   `toml:"backend_logout_url,omitempty"`

	HTTPAddress    string   `toml:"http_address"`
	MetricsAddress string   `toml:"metrics_address"`
	ReverseProxy   bool     `toml:"reverse_proxy"`
	Upstreams      []string `toml:"upstreams"`
	SkipAuthRoutes []string `toml:"skip_auth_routes"`
	APIRoutes      []string `toml:"api_routes"`
	SkipProvider   bool     `toml:"skip_provider_button"`

	SetAuthorization bool `toml:"set_authorization_header"`
	SetXAuthRequest  bool `toml:"set_xauthrequest"`

	CookieName     string   `toml:"cookie_name"`
	CookieExpire   string   `toml:"cookie_expire"`
	CookieRefresh  string   `toml:"cookie_refresh"`
	CookieSecure   bool     `toml:"cookie_secure"`
	CookieSameSite string   `toml:"cookie_samesite"`
	CookieDomains  []string `toml:"cookie_domains,omitempty"`

	SessionStoreType    string   `toml:"session_store_type"`
	RedisURL            string   `toml:"redis_connection_url,omitempty"`
	RedisUseSentinel    bool     `toml:"redis_use_sentinel,omitempty"`
	RedisSentinelMaster string   `toml:"redis_sentinel_master_name,omitempty"`
	RedisSentinelURLs   []string `toml:"redis_sentinel_connection_urls,omitempty"`
	RedisUseCluster     bool     `toml:"redis_use_cluster,omitempty"`
	RedisClusterURLs    []string `toml:"redis_cluster_connection_urls,omitempty"`
	RedisCAPath         string   `toml:"redis_ca_path,omitempty"`
}

func proxyConfigFor(s api.Spec) proxyConfig {
	p := s.OAuth2Proxy
	cfg := proxyConfig{
		Provider:         "oidc",
		OIDCIssuerURL:    s.OIDC.IssuerURL,
		OIDCGroupsClaim:  s.IdentityHeaders.Groups.Claim,
		ClientID:         p.ClientID,
		RedirectURL:      p.RedirectURL,
		Scope:            strings.Join(s.OIDC.Scopes, " "),
		CodeChallenge:    "S256",
		EmailDomains:     p.EmailDomains,
		WhitelistDomains: []string{s.URLs().Public.Host},
		HTTPAddress:      "0.0.0.0:" + strconv.Itoa(oauth2ProxyPort),
		MetricsAddress:   "0.0.0.0:" + strconv.Itoa(oauth2ProxyMetricsPort),
		// oauth2-proxy trusts no client X-Forwarded-* header (X-Forwarded-Uri
		// would choose the path its routes match): it is reached through the
		// gateway's /oauth2/ route and the ext_authz check, whose path and
		// Host are Envoy's own, and redirect_url is absolute.
		ReverseProxy: false,
		// oauth2-proxy answers the ext_authz check by proxying an allowed
		// request to this static upstream: Envoy allows only on 200, and
		// /oauth2/auth would answer 202.
		Upstreams: []string{"static://200"},
		// None: the gateway asks about a public prefix's path only when it
		// is not plain (generators/public_paths.go; check-server skips the
		// plain ones itself), and such a path must authenticate. A skip
		// route would fire for what oauth2-proxy decodes into one —
		// "/dex%2F", "/%64ex/", "/dex/..%2Fapp" — that Envoy routes elsewhere.
		SkipAuthRoutes: []string{},
		APIRoutes:      p.APIRoutes,
		// The provider profile's prompt (fn/api/profiles.go): none for
		// Dex, which otherwise shows its approval page; none for a corporate
		// IdP would answer login_required to a user without a session.
		Prompt:           promptParam(s.OIDC.Prompt),
		AllowUnverified:  s.OIDC.AllowUnverifiedEmail != nil && *s.OIDC.AllowUnverifiedEmail,
		BackendLogoutURL: backendLogoutURL(s.Logout.EndSessionURL),
		SetAuthorization: true,
		SetXAuthRequest:  true,
		CookieName:       p.Cookie.Name,
		CookieExpire:     p.Cookie.Expire,
		CookieRefresh:    p.Cookie.Refresh,
		CookieSecure:     *p.Cookie.Secure,
		CookieSameSite:   p.Cookie.SameSite,
		CookieDomains:    p.Cookie.Domains,
		SessionStoreType: p.SessionStore.Type,
	}
	if c := s.IdentityHeaders.User.Claim; c != "email" {
		// One user id on every path: the claim Istio and the check-server
		// read from tokens is the one oauth2-proxy puts in the session
		// (X-Auth-Request-Email and -User, which the check-server's cookie
		// path reads). oauth2-proxy's default, email, is left implicit.
		cfg.OIDCEmailClaim, cfg.UserIDClaim = c, c
	}
	if slices.ContainsFunc(s.Access.Hosts, func(h api.Host) bool { return !h.MachinesOnly }) {
		// Hosts share the login session under the cookie's parent domain
		// (validated to leave out every machine-only host): an rd (a
		// sign-in or sign-out link) may send the browser anywhere the
		// cookie goes, as oauth2-proxy's multi-domain setup has it.
		for _, d := range p.Cookie.Domains {
			cfg.WhitelistDomains = append(cfg.WhitelistDomains, "."+strings.TrimPrefix(d, "."))
		}
	}
	if e := s.URLs().EndSession; e != nil && e.Host != s.URLs().Public.Host {
		// sign_out's rd may send the browser to the IdP's end-session page.
		cfg.WhitelistDomains = append(cfg.WhitelistDomains, e.Host)
	}
	if r := p.SessionStore.Redis; r != nil {
		cfg.setRedis(r)
	}
	if s.Dex != nil {
		cfg.setDex(s)
	}
	// No skip_jwt_bearer_tokens / extra_jwt_issuers: a request carrying an
	// Authorization header never reaches oauth2-proxy (the CUSTOM policy
	// skips it; the check-server verifies bearers itself), so bearer tokens
	// are Istio's or the check-server's to verify, never oauth2-proxy's.
	return cfg
}

// setRedis points the session store at Redis: standalone, Sentinel or Cluster.
func (c *proxyConfig) setRedis(r *api.Redis) {
	c.RedisURL = r.Address
	if r.Sentinel != nil {
		c.RedisUseSentinel, c.RedisSentinelMaster, c.RedisSentinelURLs = true, r.Sentinel.MasterName, r.Sentinel.Addresses
	}
	if r.Cluster != nil {
		c.RedisUseCluster, c.RedisClusterURLs = true, r.Cluster.Addresses
	}
	if r.CASecretRef != nil {
		c.RedisCAPath = redisCAMount + "/" + r.CASecretRef.Key
	}
}

// setDex wires the bundled Dex's endpoints.
func (c *proxyConfig) setDex(s api.Spec) {
	// Dex's issuer is an in-cluster URL the browser cannot reach, so
	// discovery is skipped: the browser logs in through the gateway's
	// /dex/ route, oauth2-proxy redeems and fetches keys in-cluster.
	issuer := s.URLs().DexIssuer
	c.ProviderDisplayName = "Dex"
	c.SkipOIDCDiscovery = true
	c.LoginURL = strings.TrimSuffix(s.PublicURL, "/") + strings.TrimSuffix(issuer.Path, "/") + "/auth"
	c.RedeemURL = strings.TrimSuffix(s.Dex.IssuerURL, "/") + "/token"
	c.OIDCJWKSURL = strings.TrimSuffix(s.Dex.IssuerURL, "/") + "/keys"
}

// promptParam is oauth2-proxy's prompt: empty sends none (oauth2-proxy then
// sends approval_prompt=force, a Google-only parameter OIDC IdPs ignore).
func promptParam(p string) string {
	if p == api.PromptOmit {
		return ""
	}
	return p
}

// backendLogoutURL is called by oauth2-proxy at sign-out with the session's
// ID token as the hint, ending the IdP session of IdPs that honour it
// without the browser's cookie (Keycloak); the browser is sent to the same
// endpoint after sign-out for the others (afterLogoutURL).
func backendLogoutURL(endSession string) string {
	if endSession == "" {
		return ""
	}
	return endSession + "?id_token_hint={id_token}"
}

func (c proxyConfig) encode() (string, error) {
	var b bytes.Buffer
	b.WriteString("# Generated by meshauth from the AuthConfig; edit the AuthConfig, not this file.\n")
	b.WriteString("# Secrets come from the environment: OAUTH2_PROXY_CLIENT_SECRET, OAUTH2_PROXY_COOKIE_SECRET.\n")
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return "", err
	}
	return b.String(), nil
}
