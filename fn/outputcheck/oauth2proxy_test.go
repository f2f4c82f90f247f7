package outputcheck

import "testing"

const validOAuth2ProxyCfg = `provider = "oidc"
oidc_issuer_url = "http://dex.auth.svc.cluster.local:5556/dex"
client_id = "oauth2-proxy"
redirect_url = "/oauth2/callback"
scope = "profile email groups openid offline_access"
email_domains = [ "*" ]
upstreams = [ "static://200" ]
skip_auth_routes = [ "^/dex/", "GET=^/healthz$", "POST!=^/api/" ]
api_routes = [ "/api/", "^/ml_metadata" ]
skip_jwt_bearer_tokens = true
extra_jwt_issuers = [ "https://kubernetes.default.svc.cluster.local=oauth2-proxy" ]
cookie_secure = true
cookie_samesite = "lax"
cookie_expire = "24h"
cookie_refresh = "59m"
code_challenge_method = "S256"
prompt = "none"
redis_connection_idle_timeout = 30
`

func TestOAuth2ProxyConfig(t *testing.T) {
	const obj = "ConfigMap oauth2-proxy/oauth2-proxy: data[oauth2_proxy.cfg]."
	cfg := func(s string) string { return configMap("oauth2-proxy", "oauth2-proxy", "oauth2_proxy.cfg", s) }
	tests := map[string]problemCase{
		"valid": {doc: cfg(validOAuth2ProxyCfg)},
		"unknown key with the closest known one": {
			doc:  cfg(validOAuth2ProxyCfg + "cookie_secur = true\n"),
			want: []string{obj + "cookie_secur: unknown option (did you mean cookie_secure?)"},
		},
		"flag spelling is not a config key": {
			doc:  cfg(validOAuth2ProxyCfg + "skip-jwt-bearer-tokens = true\n"),
			want: []string{obj + "skip-jwt-bearer-tokens: unknown option (did you mean skip_jwt_bearer_tokens?)"},
		},
		"bool as a string": {
			doc:  cfg(replace(validOAuth2ProxyCfg, "cookie_secure = true", `cookie_secure = "true"`)),
			want: []string{obj + "cookie_secure: must be a boolean, not a string"},
		},
		"list as a string": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `email_domains = [ "*" ]`, `email_domains = "*"`)),
			want: []string{obj + "email_domains: must be a list of strings, not a string"},
		},
		"integer as a string": {
			doc:  cfg(replace(validOAuth2ProxyCfg, "= 30", `= "30"`)),
			want: []string{obj + "redis_connection_idle_timeout: must be an integer, not a string"},
		},
		"duration as a number is nanoseconds": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `cookie_refresh = "59m"`, "cookie_refresh = 3600")),
			want: []string{obj + `cookie_refresh: must be a duration string such as "1h" (a TOML number is read as nanoseconds), not an integer`},
		},
		"zero as a number is unambiguous": {
			doc: cfg(replace(validOAuth2ProxyCfg, `cookie_refresh = "59m"`, "cookie_refresh = 0")),
		},
		"unparsable duration": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `"24h"`, `"1d"`)),
			want: []string{obj + `cookie_expire: not a duration: "1d"`},
		},
		"refresh not below expire": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `"59m"`, `"24h"`)),
			want: []string{obj + "cookie_refresh: must be less than cookie_expire (24h0m0s >= 24h0m0s)"},
		},
		"refresh against the default expire of 168h": {
			doc:  cfg(replace(replace(validOAuth2ProxyCfg, "cookie_expire = \"24h\"\n", ""), `"59m"`, `"200h"`)),
			want: []string{obj + "cookie_refresh: must be less than cookie_expire (200h0m0s >= 168h0m0s)"},
		},
		"bad regex in a METHOD=regex route": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `"GET=^/healthz$"`, `"GET=^/(healthz$"`)),
			want: []string{obj + "skip_auth_routes[1]: invalid regex: error parsing regexp: missing closing ): `^/(healthz$`"},
		},
		"bad regex in api_routes": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `"/api/"`, `"/api/[" `)),
			want: []string{obj + "api_routes[0]: invalid regex: error parsing regexp: missing closing ]: `[`"},
		},
		"enumerations": {
			doc: cfg(replace(replace(validOAuth2ProxyCfg, `"lax"`, `"Lax"`), `"S256"`, `"s256"`)),
			want: []string{
				obj + "code_challenge_method: must be S256 or plain",
				obj + "cookie_samesite: must be lax, strict or none",
			},
		},
		"secret in a ConfigMap": {
			doc:  cfg(validOAuth2ProxyCfg + "client_secret = \"s3cr3t\"\n"),
			want: []string{obj + "client_secret: a secret in a ConfigMap: pass it from a Secret (environment variable or client_secret_file where supported)"},
		},
		"redirect_url neither absolute nor rooted": {
			doc:  cfg(replace(validOAuth2ProxyCfg, `"/oauth2/callback"`, `"oauth2/callback"`)),
			want: []string{obj + "redirect_url: must be an absolute URL or start with /"},
		},
		"invalid TOML": {
			doc:  cfg("provider = oidc\n"),
			want: []string{"ConfigMap oauth2-proxy/oauth2-proxy: data[oauth2_proxy.cfg]: invalid TOML: toml: line 1 (last key \"provider\"): expected value but found \"oidc\" instead"},
		},
	}
	checkProblems(t, tests)
}

func TestOAuth2ProxyOptionTableKnowsTheDocumentedKeys(t *testing.T) {
	// A few keys the generators rely on; if the table is regenerated and
	// loses one, every golden config would start failing for the wrong
	// reason.
	for _, key := range []string{"provider", "oidc_issuer_url", "cookie_secure", "skip_auth_routes", "api_routes", "extra_jwt_issuers", "skip_jwt_bearer_tokens", "whitelist_domains", "prompt", "code_challenge_method", "cookie_refresh", "cookie_expire", "set_xauthrequest", "session_store_type", "redis_connection_url"} {
		if _, ok := oauth2ProxyOptions[key]; !ok {
			t.Errorf("oauth2ProxyOptions has no %q", key)
		}
	}
}
