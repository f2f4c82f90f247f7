package generators

import (
	"bytes"
	"net/url"
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
	ClientID            string   `toml:"client_id"`
	RedirectURL         string   `toml:"redirect_url"`
	Scope               string   `toml:"scope"`
	CodeChallenge       string   `toml:"code_challenge_method"`
	Prompt              string   `toml:"prompt"`
	EmailDomains        []string `toml:"email_domains"`
	WhitelistDomains    []string `toml:"whitelist_domains"`

	HTTPAddress    string   `toml:"http_address"`
	MetricsAddress string   `toml:"metrics_address"`
	ReverseProxy   bool     `toml:"reverse_proxy"`
	Upstreams      []string `toml:"upstreams"`
	SkipAuthRoutes []string `toml:"skip_auth_routes"`
	APIRoutes      []string `toml:"api_routes"`
	SkipProvider   bool     `toml:"skip_provider_button"`

	SkipJWTBearerTokens bool     `toml:"skip_jwt_bearer_tokens"`
	ExtraJWTIssuers     []string `toml:"extra_jwt_issuers,omitempty"`
	SetAuthorization    bool     `toml:"set_authorization_header"`
	SetXAuthRequest     bool     `toml:"set_xauthrequest"`

	CookieName     string   `toml:"cookie_name"`
	CookieExpire   string   `toml:"cookie_expire"`
	CookieRefresh  string   `toml:"cookie_refresh"`
	CookieSecure   bool     `toml:"cookie_secure"`
	CookieSameSite string   `toml:"cookie_samesite"`
	CookieDomains  []string `toml:"cookie_domains,omitempty"`

	SessionStoreType string `toml:"session_store_type"`
	RedisURL         string `toml:"redis_connection_url,omitempty"`
}

func proxyConfigFor(s api.Spec) proxyConfig {
	p := s.OAuth2Proxy
	public, _ := url.Parse(s.PublicURL)
	cfg := proxyConfig{
		Provider:         "oidc",
		OIDCIssuerURL:    s.OIDC.IssuerURL,
		OIDCGroupsClaim:  s.IdentityHeaders.Groups.Claim,
		ClientID:         p.ClientID,
		RedirectURL:      p.RedirectURL,
		Scope:            strings.Join(s.OIDC.Scopes, " "),
		CodeChallenge:    "S256",
		EmailDomains:     p.EmailDomains,
		WhitelistDomains: []string{public.Host},
		HTTPAddress:      "0.0.0.0:" + itoa(oauth2ProxyPort),
		MetricsAddress:   "0.0.0.0:" + itoa(oauth2ProxyMetricsPort),
		// oauth2-proxy trusts no client X-Forwarded-* header (X-Forwarded-Uri
		// would choose the path its routes match): it is reached through the
		// gateway's /oauth2/ route and the ext_authz check, whose path and
		// Host are Envoy's own, and redirect_url is absolute.
		ReverseProxy: false,
		// oauth2-proxy answers the ext_authz check by proxying an allowed
		// request to this static upstream: Envoy allows only on 200, and
		// /oauth2/auth would answer 202.
		Upstreams: []string{"static://200"},
		// None: the gateway never asks about the public paths (they are
		// excluded from the CUSTOM policy, or check-server skips them), so a
		// skip route would only fire for what oauth2-proxy decodes into one
		// — "/dex%2F", "/%64ex/" — that Envoy routes elsewhere.
		SkipAuthRoutes: []string{},
		APIRoutes:      p.APIRoutes,
		// Dex honours prompt=none; oauth2-proxy's default "force" makes Dex
		// ask for the password on every session refresh.
		Prompt:              "none",
		SkipJWTBearerTokens: true,
		SetAuthorization:    true,
		SetXAuthRequest:     true,
		CookieName:          p.Cookie.Name,
		CookieExpire:        p.Cookie.Expire,
		CookieRefresh:       p.Cookie.Refresh,
		CookieSecure:        *p.Cookie.Secure,
		CookieSameSite:      p.Cookie.SameSite,
		CookieDomains:       p.Cookie.Domains,
		SessionStoreType:    p.SessionStore.Type,
	}
	if p.SessionStore.Redis != nil {
		cfg.RedisURL = p.SessionStore.Redis.Address
	}
	if s.Dex != nil {
		// Dex's issuer is an in-cluster URL the browser cannot reach, so
		// discovery is skipped: the browser logs in through the gateway's
		// /dex/ route, oauth2-proxy redeems and fetches keys in-cluster.
		issuer, _ := url.Parse(s.Dex.IssuerURL)
		cfg.ProviderDisplayName = "Dex"
		cfg.SkipOIDCDiscovery = true
		cfg.LoginURL = strings.TrimSuffix(s.PublicURL, "/") + strings.TrimSuffix(issuer.Path, "/") + "/auth"
		cfg.RedeemURL = strings.TrimSuffix(s.Dex.IssuerURL, "/") + "/token"
		cfg.OIDCJWKSURL = strings.TrimSuffix(s.Dex.IssuerURL, "/") + "/keys"
	} else {
		// With discovery, oauth2-proxy verifies extra issuers' tokens too;
		// without it, it would build their JWKS URL wrongly, so Istio's
		// RequestAuthentication alone checks machine tokens under Dex.
		for _, m := range s.MachineIssuers {
			for _, aud := range m.Audiences {
				cfg.ExtraJWTIssuers = append(cfg.ExtraJWTIssuers, m.Issuer+"="+aud)
			}
		}
	}
	return cfg
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
