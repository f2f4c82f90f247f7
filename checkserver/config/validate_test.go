package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"meshauth.dev/meshauth/checkserver/access"
)

func validIssuer() Issuer {
	return Issuer{Issuer: "https://issuer.example", JWKSURI: "https://issuer.example/keys", Audiences: []string{"kubeflow"}}
}

func TestValidate(t *testing.T) {
	type scenario struct {
		mutate func(c *Config)
		want   []string
	}
	tests := map[string]scenario{
		"valid issuer": {mutate: func(c *Config) { c.Issuers = []Issuer{validIssuer()} }},
		"no front end": {
			mutate: func(c *Config) { c.Listen.HTTP, c.Listen.GRPC = "", "" },
			want:   []string{"listen: at least one of http and grpc must be set"},
		},
		"bad addresses": {
			mutate: func(c *Config) { c.Listen.HTTP, c.Listen.Ops = "8080", "" },
			want:   []string{`listen.http: must be host:port such as ":8080" (got "8080")`, "listen.ops: must not be empty"},
		},
		"bad path prefix": {
			mutate: func(c *Config) { c.HTTPPathPrefix = "check/" },
			want:   []string{`httpPathPrefix: must start with / and not end with / (got "check/")`},
		},
		"issuer problems all reported with paths": {
			mutate: func(c *Config) {
				bad := validIssuer()
				bad.JWKSURI = "ftp://x"
				bad.Audiences = nil
				bad.Algorithms = []string{"HS256", "none", "ES256"}
				c.Issuers = []Issuer{validIssuer(), bad}
			},
			want: []string{
				`issuers[1].jwksURI: must be an https URL (got "ftp://x")`,
				`issuers[1].audiences: at least one audience is required`,
				`issuers[1].algorithms[0]: symmetric algorithm "HS256" is not accepted (HS/RS key confusion)`,
				`issuers[1].algorithms[1]: unsupported algorithm "none" (want one of RS256..512, PS256..512, ES256..512, EdDSA)`,
				`issuers[1].issuer: duplicate of issuers[0]`,
			},
		},
		"http jwks needs allowHTTP": {
			mutate: func(c *Config) { i := validIssuer(); i.JWKSURI = "http://dex/keys"; c.Issuers = []Issuer{i} },
			want:   []string{`issuers[0].jwksURI: must be an https URL (got "http://dex/keys")`},
		},
		"http jwks with allowHTTP": {
			mutate: func(c *Config) {
				i := validIssuer()
				i.JWKSURI = "http://dex/keys"
				i.AllowHTTP = true
				c.Issuers = []Issuer{i}
			},
		},
		"discovery and jwksURI both": {
			mutate: func(c *Config) { i := validIssuer(); i.Discovery = true; c.Issuers = []Issuer{i} },
			want:   []string{"issuers[0].jwksURI: set either discovery or jwksURI, not both"},
		},
		"neither discovery nor jwksURI": {
			mutate: func(c *Config) { i := validIssuer(); i.JWKSURI = ""; c.Issuers = []Issuer{i} },
			want:   []string{"issuers[0].jwksURI: required unless discovery is true"},
		},
		"issuer not a URL": {
			mutate: func(c *Config) { i := validIssuer(); i.Issuer = "kubernetes/serviceaccount"; c.Issuers = []Issuer{i} },
			want:   []string{`issuers[0].issuer: must be an absolute http(s) URL (got "kubernetes/serviceaccount")`},
		},
		"token review": {
			mutate: func(c *Config) {
				c.Kubernetes.TokenReview = TokenReview{Enabled: true, APIServer: "http://k", Audiences: []string{""}, MaxConcurrent: -1, NegativeCacheTTL: D(-1)}
			},
			want: []string{
				`kubernetes.tokenReview.apiServer: must be an https URL (got "http://k")`,
				"kubernetes.tokenReview.tokenFile: must not be empty",
				"kubernetes.tokenReview.caFile: must not be empty",
				"kubernetes.tokenReview.timeout: must be a positive duration (got 0s)",
				"kubernetes.tokenReview.cacheTTL: must be a positive duration (got 0s)",
				"kubernetes.tokenReview.audiences[0]: must not be empty",
				"kubernetes.tokenReview.negativeCacheTTL: must be a positive duration (got -1ns)",
				"kubernetes.tokenReview.maxConcurrent: must be at least 1 (got -1)",
			},
		},
		"identity and session cache": {
			mutate: func(c *Config) {
				c.Identity.StripHeaders = []string{"x-forwarded-user"}
				c.Identity.KeepHeaders = []string{"x-forwarded-user", "X-Auth-Request-Email"}
				c.OAuth2Proxy.SessionCache.TTL = D(time.Hour)
				c.OAuth2Proxy.SignOutPaths = []string{"logout"}
			},
			want: []string{
				`oauth2Proxy.sessionCache.ttl: must be between 1s and 5m (got 1h0m0s)`,
				`oauth2Proxy.signOutPaths[0]: must be an absolute path (got "logout")`,
				`identity.keepHeaders[0]: only a default strip header can be kept: one of x-auth-request-user, x-auth-request-email, x-auth-request-groups, x-auth-request-preferred-username (got "x-forwarded-user")`,
			},
		},
		"oauth2-proxy": {
			mutate: func(c *Config) { c.OAuth2Proxy.SignInPath = "oauth2/start"; c.OAuth2Proxy.URL = "mailto:x" },
			want: []string{
				`oauth2Proxy.url: must be an http or https URL (got "mailto:x")`,
				`oauth2Proxy.signInPath: must be an absolute path (got "oauth2/start")`,
			},
		},
		"oauth2-proxy off skips its checks": {
			mutate: func(c *Config) { c.OAuth2Proxy = OAuth2Proxy{} },
		},
		"identity": {
			mutate: func(c *Config) {
				c.Identity.UserHeader = "Authorization"
				c.Identity.GroupsHeader = "bad header"
				c.Identity.UserTransformers = []Transformer{{Match: "("}}
				c.Identity.AllowedGroups = []string{""}
			},
			want: []string{
				`identity.userHeader: "Authorization" is reserved and cannot carry identity`,
				`identity.groupsHeader: not a valid HTTP header name (got "bad header")`,
				"identity.userTransformers[0].match: invalid regular expression: error parsing regexp: missing closing ): `(`",
				"identity.allowedGroups[0]: must not be empty",
			},
		},
		"same user and groups header": {
			mutate: func(c *Config) { c.Identity.GroupsHeader = "Kubeflow-Userid" },
			want:   []string{"identity.groupsHeader: must differ from identity.userHeader"},
		},
		"routes and skip paths": {
			mutate: func(c *Config) {
				c.APIRoutes = []string{"^/api/", "["}
				c.SkipAuthPaths = []string{"/dex/", "dex", "/a/../b", "/a%2f"}
			},
			want: []string{
				"apiRoutes[1]: invalid regular expression: error parsing regexp: missing closing ]: `[`",
				`skipAuthPaths[1]: must be an absolute path (got "dex")`,
				`skipAuthPaths[2]: must be a plain path prefix without dot-segments, //, %-escapes, \, ;, query or fragment (got "/a/../b")`,
				`skipAuthPaths[3]: must be a plain path prefix without dot-segments, //, %-escapes, \, ;, query or fragment (got "/a%2f")`,
			},
		},
		"limits": {
			mutate: func(c *Config) {
				c.MaxTokenBytes = 10
				c.Cache = Cache{Size: -1}
				c.JWKS = JWKS{RefreshInterval: D(time.Millisecond), MinRefetchInterval: D(-1)}
				c.Leeway = D(time.Hour)
				c.ShutdownTimeout = D(0)
			},
			want: []string{
				"maxTokenBytes: must be between 256 and 1048576 (got 10)",
				"cache.size: must be >= 0; 0 turns the cache off (got -1)",
				"jwks.refreshInterval: must be at least 1s (got 1ms)",
				"jwks.minRefetchInterval: must not be negative",
				"jwks.timeout: must be a positive duration (got 0s)",
				"leeway: must be between 0s and 5m (got 1h0m0s)",
				"shutdownTimeout: must be a positive duration (got 0s)",
			},
		},
		"access policy": {
			mutate: func(c *Config) {
				c.Issuers = []Issuer{validIssuer()}
				c.Access = access.Policy{
					PublicPaths: []string{"/static/", "/a/../b"},
					Rules: []access.Rule{
						{Name: "pipeline", Paths: []string{"/pipeline/"}, Need: access.Need{Groups: []string{"admin"}}},
						{Name: "robots", Hosts: []string{"ml.example.com"}, Need: access.Need{Issuers: []string{"https://issuer.example"}}},
						{Name: "dept", Need: access.Need{Claim: &access.Claim{Name: "department", Values: []string{"ml"}}}},
						{Name: "kserve", Paths: []string{"/kserve/"}, Need: access.Need{Public: true}},
					},
					MachineHosts:   []string{"api.example.com", "*.svc.example.com"},
					MachineIssuers: []string{"https://issuer.example"},
					GroupsClaim:    "groups",
				}
			},
			want: []string{`access.publicPaths[1]: must be a plain absolute path prefix without dot-segments, //, %-escapes, \, ;, query or fragment (got "/a/../b")`},
		},
		"access rule problems all reported with paths": {
			mutate: func(c *Config) {
				c.Issuers = []Issuer{validIssuer()}
				c.Access = access.Policy{
					Rules: []access.Rule{
						{Paths: []string{"//pipeline/", "/%70ipeline/"}, Need: access.Need{Groups: []string{"admin", ""}}},
						{Name: "a", Hosts: []string{"", "https://x/"}},
						{Name: "a", Need: access.Need{Public: true, Groups: []string{"admin"}}},
						{Name: "b", Need: access.Need{Public: true, Claim: &access.Claim{Name: "dept", Values: []string{"ml"}}}},
						{Name: "c", Need: access.Need{Public: true, Issuers: []string{"https://issuer.example"}}},
						{Name: "d", Need: access.Need{Claim: &access.Claim{}}},
						{Name: "e", Need: access.Need{Issuers: []string{"https://other.example"}}},
					},
					MachineHosts:   []string{"api.example.com/", ""},
					MachineIssuers: []string{"kubernetes/serviceaccount"},
				}
			},
			want: []string{
				"access.rules[0].name: must not be empty",
				`access.rules[0].paths[0]: must be a plain absolute path prefix without dot-segments, //, %-escapes, \, ;, query or fragment (got "//pipeline/")`,
				`access.rules[0].paths[1]: must be a plain absolute path prefix without dot-segments, //, %-escapes, \, ;, query or fragment (got "/%70ipeline/")`,
				"access.rules[0].groups[1]: must not be empty",
				`access.rules[1].hosts[0]: must be a host name without / (got "")`,
				`access.rules[1].hosts[1]: must be a host name without / (got "https://x/")`,
				"access.rules[2].name: duplicate of access.rules[1]",
				"access.rules[2]: a public rule needs nothing: groups, claim and issuers must be empty",
				"access.rules[3]: a public rule needs nothing: groups, claim and issuers must be empty",
				"access.rules[4]: a public rule needs nothing: groups, claim and issuers must be empty",
				"access.rules[5].claim.name: must not be empty",
				"access.rules[5].claim.values: must list at least one value",
				`access.rules[6].issuers[0]: "https://other.example" is not one of issuers[].issuer`,
				"access.groupsClaim: must be set when a rule has groups",
				`access.machineHosts[0]: must be a host name without / (got "api.example.com/")`,
				`access.machineHosts[1]: must be a host name without / (got "")`,
				`access.machineIssuers[0]: "kubernetes/serviceaccount" is not one of issuers[].issuer`,
			},
		},
		"cache off needs no TTL": {
			mutate: func(c *Config) { c.Cache = Cache{Size: 0} },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := Default()
			tc.mutate(&c)
			var got []string
			for _, err := range c.Validate() {
				got = append(got, err.Error())
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("Validate() (-want +got):\n%s", d)
			}
		})
	}
}
