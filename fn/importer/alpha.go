package importer

import (
	"strings"

	sigsyaml "sigs.k8s.io/yaml"
)

// alphaConfig is the part of oauth2-proxy's alpha config (--alpha-config,
// YAML) that maps onto options meshauth writes. The rest of an alpha
// config (upstreams, header injection, server) is listed in the report as
// not carried over.
type alphaConfig struct {
	Providers []struct {
		ID            string   `json:"id"`
		Provider      string   `json:"provider"`
		ClientID      string   `json:"clientID"`
		ClientSecret  string   `json:"clientSecret"`
		Scope         string   `json:"scope"`
		LoginURL      string   `json:"loginURL"`
		RedeemURL     string   `json:"redeemURL"`
		Prompt        string   `json:"prompt"`
		CodeChallenge string   `json:"code_challenge_method"`
		AllowedGroups []string `json:"allowedGroups"`
		OIDCConfig    struct {
			IssuerURL                    string   `json:"issuerURL"`
			JWKSURL                      string   `json:"jwksURL"`
			EmailClaim                   string   `json:"emailClaim"`
			GroupsClaim                  string   `json:"groupsClaim"`
			UserIDClaim                  string   `json:"userIDClaim"`
			SkipDiscovery                bool     `json:"skipDiscovery"`
			InsecureAllowUnverifiedEmail bool     `json:"insecureAllowUnverifiedEmail"`
			ExtraAudiences               []string `json:"extraAudiences"`
		} `json:"oidcConfig"`
	} `json:"providers"`
}

func readAlphaConfig(in *install, f *o2pFacts, object, field, text string) {
	var raw map[string]any
	if err := sigsyaml.Unmarshal([]byte(text), &raw); err != nil {
		in.fail(object, field, "oauth2-proxy alpha config is not YAML: "+firstLine(err.Error())+"; fix the YAML")
		return
	}
	var ac alphaConfig
	if err := sigsyaml.Unmarshal([]byte(text), &ac); err != nil {
		in.fail(object, field, "oauth2-proxy alpha config: "+firstLine(err.Error())+"; fix the value's type")
		return
	}
	for _, k := range sortedKeys(raw) {
		if k != "providers" {
			in.cannot(object, field+"."+k, "alpha config section "+k+": not expressible in an AuthConfig; meshauth's oauth2-proxy uses its own (legacy) config file")
		}
	}
	if len(ac.Providers) == 0 {
		return
	}
	for i := range ac.Providers[1:] {
		in.cannot(object, idx(field+".providers", i+1), "a second provider: an AuthConfig has one login provider")
	}
	p := ac.Providers[0]
	at := field + ".providers[0]"
	put := func(key, sub, v string) {
		if v != "" {
			f.options[key] = option{kind: "string", str: v, object: object, field: at + "." + sub}
		}
	}
	put("provider", "provider", p.Provider)
	put("client_id", "clientID", p.ClientID)
	put("scope", "scope", p.Scope)
	put("login_url", "loginURL", p.LoginURL)
	put("redeem_url", "redeemURL", p.RedeemURL)
	put("prompt", "prompt", p.Prompt)
	put("oidc_issuer_url", "oidcConfig.issuerURL", p.OIDCConfig.IssuerURL)
	put("oidc_jwks_url", "oidcConfig.jwksURL", p.OIDCConfig.JWKSURL)
	put("oidc_email_claim", "oidcConfig.emailClaim", p.OIDCConfig.EmailClaim)
	put("oidc_groups_claim", "oidcConfig.groupsClaim", p.OIDCConfig.GroupsClaim)
	put("user_id_claim", "oidcConfig.userIDClaim", p.OIDCConfig.UserIDClaim)
	if p.OIDCConfig.SkipDiscovery {
		put("skip_oidc_discovery", "oidcConfig.skipDiscovery", "true")
	}
	if p.OIDCConfig.InsecureAllowUnverifiedEmail {
		put("insecure_oidc_allow_unverified_email", "oidcConfig.insecureAllowUnverifiedEmail", "true")
	}
	if p.ClientSecret != "" {
		f.options["client_secret"] = option{written: true, object: object, field: at + ".clientSecret"}
	}
	if len(p.OIDCConfig.ExtraAudiences) > 0 {
		in.cannot(object, at+".oidcConfig.extraAudiences", "extra audiences "+strings.Join(p.OIDCConfig.ExtraAudiences, ", ")+": meshauth's oauth2-proxy accepts its own client id only")
	}
	if len(p.AllowedGroups) > 0 {
		in.cannot(object, at+".allowedGroups", "allowed groups: only with authorizer check-server (spec.checkServer.allowedGroups)")
	}
}
