package api

import (
	"strings"
	"time"
)

// Provider profiles: what each identity provider needs from oauth2-proxy,
// Istio and the check-server by default. docs/providers/<name>.md explains
// each row; every value is a default the AuthConfig can override.
const (
	ProviderDex      = "dex"
	ProviderKeycloak = "keycloak"
	ProviderEntra    = "entra"
	ProviderOkta     = "okta"
	ProviderGeneric  = "generic"
)

// PromptOmit sends no prompt parameter: the IdP decides, so a user with an
// IdP session is not asked again and one without is shown the login page.
const PromptOmit = "omit"

// Groups header formats.
const (
	GroupsJSONBase64 = "json-base64"
	GroupsCSV        = "csv"
)

type profile struct {
	// prompt: Dex needs none (or it shows its approval page); a corporate
	// IdP answers none with login_required for a user without a session.
	prompt string
	scopes []string
	// userClaim is the user id on every path; groupsClaim the groups.
	userClaim, groupsClaim string
	// idTokenLifetime is the IdP's default; "" when unknown.
	idTokenLifetime string
}

var profiles = map[string]profile{
	ProviderDex: {prompt: "none", scopes: []string{"openid", "email", "groups", "profile", "offline_access"},
		userClaim: "email", groupsClaim: "groups", idTokenLifetime: "24h"},
	// Keycloak: refresh tokens come without offline_access (which would mint
	// offline tokens outliving the SSO session); access and ID tokens 5m.
	ProviderKeycloak: {prompt: PromptOmit, scopes: []string{"openid", "email", "profile"},
		userClaim: "email", groupsClaim: "groups", idTokenLifetime: "5m"},
	// Entra: the email claim is optional and not verified by the tenant;
	// preferred_username (the UPN) is the stable user id. ID tokens 1h.
	ProviderEntra: {prompt: PromptOmit, scopes: []string{"openid", "email", "profile", "offline_access"},
		userClaim: "preferred_username", groupsClaim: "groups", idTokenLifetime: "1h"},
	ProviderOkta: {prompt: PromptOmit, scopes: []string{"openid", "email", "profile", "groups", "offline_access"},
		userClaim: "email", groupsClaim: "groups", idTokenLifetime: "1h"},
	ProviderGeneric: {prompt: PromptOmit, scopes: []string{"openid", "email", "profile", "offline_access"},
		userClaim: "email", groupsClaim: "groups"},
}

// Providers lists the profile names (CRD enum, docs).
var Providers = []any{ProviderDex, ProviderKeycloak, ProviderEntra, ProviderOkta, ProviderGeneric}

// applyProfile fills what the provider profile decides and the AuthConfig
// left unset. It runs after Dex's defaults, before the rest.
func applyProfile(s *Spec) {
	if s.OIDC.Provider == "" {
		s.OIDC.Provider = ProviderGeneric
		if s.Dex != nil {
			s.OIDC.Provider = ProviderDex
		}
	}
	pr, ok := profiles[s.OIDC.Provider]
	if !ok {
		return // Validate names the bad value
	}
	def(&s.OIDC.Prompt, pr.prompt)
	if s.OIDC.Scopes == nil {
		s.OIDC.Scopes = pr.scopes
		if s.OIDC.LargeTokens != nil {
			// The Kubeflow doc's fix: no groups and profile claims in the
			// tokens; the groups claim then has to come from the IdP's
			// token configuration (Entra: groupMembershipClaims).
			s.OIDC.Scopes = without(pr.scopes, "groups", "profile")
		}
	}
	if s.OIDC.AllowUnverifiedEmail == nil {
		s.OIDC.AllowUnverifiedEmail = new(false)
	}
	def(&s.OIDC.IDTokenLifetime, pr.idTokenLifetime)
	def(&s.IdentityHeaders.User.Claim, pr.userClaim)
	def(&s.IdentityHeaders.Groups.Claim, pr.groupsClaim)
	def(&s.OAuth2Proxy.Cookie.Refresh, refreshFor(s.OIDC.IDTokenLifetime))
}

// refreshFor is the default cookie.refresh: a minute before the ID token
// expires (half its life when that is under two minutes), at most 59m, so
// oauth2-proxy always forwards an unexpired token.
func refreshFor(lifetime string) string {
	const max = 59 * time.Minute
	d, err := time.ParseDuration(lifetime)
	switch {
	case lifetime == "" || err != nil || d <= 0:
		return "59m"
	case d >= max+time.Minute:
		return "59m"
	case d >= 2*time.Minute:
		return shortDuration(d - time.Minute)
	default:
		return shortDuration(d / 2)
	}
}

// shortDuration prints 4m instead of 4m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func without(list []string, drop ...string) []string {
	var out []string
	for _, v := range list {
		if !contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}
