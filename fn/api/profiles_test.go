package api

import (
	"strings"
	"testing"
)

func external(provider string, mutate func(s *Spec)) AuthConfig {
	c := AuthConfig{APIVersion: APIVersion, Kind: Kind, Metadata: ObjectMeta{Name: "kf"},
		Spec: Spec{PublicURL: "https://kubeflow.example.com", OIDC: OIDC{Provider: provider, IssuerURL: "https://idp.example.com/realms/kf"}}}
	if mutate != nil {
		mutate(&c.Spec)
	}
	return Defaulted(c)
}

func TestProfileDefaults(t *testing.T) {
	for _, tc := range []struct {
		provider, prompt, user, refresh, scopes string
	}{
		{ProviderKeycloak, PromptOmit, "email", "4m", "openid email profile"},
		{ProviderEntra, PromptOmit, "preferred_username", "59m", "openid email profile offline_access"},
		{ProviderOkta, PromptOmit, "email", "59m", "openid email profile groups offline_access"},
		{ProviderGeneric, PromptOmit, "email", "59m", "openid email profile offline_access"},
	} {
		c := external(tc.provider, nil)
		s := c.Spec
		if s.OIDC.Prompt != tc.prompt || s.IdentityHeaders.User.Claim != tc.user || s.OAuth2Proxy.Cookie.Refresh != tc.refresh || strings.Join(s.OIDC.Scopes, " ") != tc.scopes {
			t.Errorf("%s: prompt %q user %q refresh %q scopes %q", tc.provider, s.OIDC.Prompt, s.IdentityHeaders.User.Claim, s.OAuth2Proxy.Cookie.Refresh, s.OIDC.Scopes)
		}
		if errs := Validate(c); len(errs) > 0 {
			t.Errorf("%s: the profile's defaults are invalid:\n%v", tc.provider, errs)
		}
	}
	if d := valid().Spec; d.OIDC.Provider != ProviderDex || d.OIDC.Prompt != "none" || d.OAuth2Proxy.Cookie.Refresh != "59m" {
		t.Errorf("the default is not the dex profile: %+v", d.OIDC)
	}
	if c := external(ProviderEntra, func(s *Spec) { s.OIDC.LargeTokens = &LargeTokens{} }); strings.Join(c.Spec.OIDC.Scopes, " ") != "openid email offline_access" {
		t.Errorf("largeTokens scopes = %q", c.Spec.OIDC.Scopes)
	}
}

func TestRefreshFor(t *testing.T) {
	for life, want := range map[string]string{"24h": "59m", "1h": "59m", "5m": "4m", "2m": "1m", "60s": "30s", "5s": "2.5s", "90m": "59m", "": "59m"} {
		if got := refreshFor(life); got != want {
			t.Errorf("refreshFor(%q) = %q, want %q", life, got, want)
		}
	}
}

func TestValidateProvider(t *testing.T) {
	for name, tc := range map[string]struct {
		c         AuthConfig
		path, msg string
	}{
		"unknown provider": {external("auth0", nil), "spec.oidc.provider", "must be one of"},
		"prompt none against a corporate IdP": {external(ProviderKeycloak, func(s *Spec) { s.OIDC.Prompt = "none" }),
			"spec.oidc.prompt", "login_required"},
		"refresh outlives the ID token": {external(ProviderKeycloak, func(s *Spec) { s.OAuth2Proxy.Cookie.Refresh = "59m" }),
			"spec.oauth2Proxy.cookie.refresh", "set refresh: 4m"},
		"no refresh with a long session": {external(ProviderOkta, func(s *Spec) { s.OAuth2Proxy.Cookie.Refresh = "0s" }),
			"spec.oauth2Proxy.cookie.refresh", "outlives the ID token"},
		"csv groups with oauth2-proxy": {external(ProviderOkta, func(s *Spec) { s.IdentityHeaders.Groups.Format = GroupsCSV }),
			"spec.identityHeaders.groups.format", "needs authorizer: check-server"},
		"audience is oauth2-proxy's": {external(ProviderOkta, func(s *Spec) { s.OIDC.Audiences = []string{"oauth2-proxy"} }),
			"spec.oidc.audiences[0]", "already accepted"},
		"audience not a Dex client": {Defaulted(AuthConfig{APIVersion: APIVersion, Kind: Kind, Metadata: ObjectMeta{Name: "kf"},
			Spec: Spec{PublicURL: "https://kubeflow.example.com", OIDC: OIDC{Audiences: []string{"cli"}}}}),
			"spec.oidc.audiences[0]", "not a client of the bundled Dex"},
		"provider says keycloak but Dex is set": {Defaulted(AuthConfig{APIVersion: APIVersion, Kind: Kind, Metadata: ObjectMeta{Name: "kf"},
			Spec: Spec{PublicURL: "https://kubeflow.example.com", Dex: &Dex{}, OIDC: OIDC{Provider: ProviderKeycloak}}}),
			"spec.oidc.provider", "spec.dex is set"},
		"allowedGroups without check-server": {external(ProviderOkta, func(s *Spec) { s.CheckServer.AllowedGroups = []string{"a"} }),
			"spec.checkServer.allowedGroups", "needs authorizer: check-server"},
		"bad transformer": {external(ProviderOkta, func(s *Spec) {
			s.Authorizer = AuthorizerCheckServer
			s.CheckServer.UserTransformers = []UserTransformer{{Match: "("}}
		}), "spec.checkServer.userTransformers[0].match", "regular expression"},
		"machine audience of the login issuer shared with login": {external(ProviderOkta, func(s *Spec) {
			s.MachineIssuers = []MachineIssuer{{Issuer: "https://idp.example.com/realms/kf", Audiences: []string{"oauth2-proxy"}}}
		}), "spec.machineIssuers[0].audiences[0]", "login audience too"},
		"redis with two modes": {external(ProviderOkta, func(s *Spec) {
			s.OAuth2Proxy.SessionStore = SessionStore{Type: "redis", Redis: &Redis{Address: "redis://r:6379", Cluster: &RedisCluster{Addresses: []string{"redis://r:6379"}}}}
		}), "spec.oauth2Proxy.sessionStore.redis", "exactly one of"},
		"sentinel without master": {external(ProviderOkta, func(s *Spec) {
			s.OAuth2Proxy.SessionStore = SessionStore{Type: "redis", Redis: &Redis{Sentinel: &RedisSentinel{Addresses: []string{"redis://s:26379"}}}}
		}), "spec.oauth2Proxy.sessionStore.redis.sentinel.masterName", "is required"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, e := range Validate(tc.c) {
				if e.Path == tc.path && strings.Contains(e.Message, tc.msg) {
					return
				}
			}
			t.Errorf("want %s: ...%s...; got:\n%v", tc.path, tc.msg, Validate(tc.c))
		})
	}
}
