package generators

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/fn/api"
)

// loaded is the AuthConfig for https://kubeflow.example.com, changed by
// mutate, as api.LoadValue defaults and validates it; an invalid one fails
// the test.
func loaded(t *testing.T, mutate func(*api.Spec)) api.AuthConfig {
	t.Helper()
	c := api.AuthConfig{APIVersion: api.APIVersion, Kind: api.Kind, Metadata: api.ObjectMeta{Name: "t"},
		Spec: api.Spec{PublicURL: "https://kubeflow.example.com"}}
	if mutate != nil {
		mutate(&c.Spec)
	}
	c, errs := api.LoadValue(c)
	if len(errs) > 0 {
		t.Fatalf("the test's AuthConfig is invalid: %v", errs)
	}
	return c
}

// TestCheckServerConfigRoundTrips: what the generator emits is what the
// check-server's own strict loader accepts.
func TestCheckServerConfigRoundTrips(t *testing.T) {
	for name, mutate := range map[string]func(*api.Spec){
		"dex": nil,
		"external issuer and machine issuers": func(s *api.Spec) {
			s.OIDC.IssuerURL = "https://idp.example.com"
			s.MachineIssuers = []api.MachineIssuer{
				{Issuer: "https://kubernetes.default.svc.cluster.local", Audiences: []string{"api"}},
				{Issuer: "https://token.actions.githubusercontent.com", Audiences: []string{"https://github.com/o"}, JWKSURI: "https://token.actions.githubusercontent.com/.well-known/jwks"},
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := loaded(t, func(s *api.Spec) {
				s.Authorizer = api.AuthorizerCheckServer
				if mutate != nil {
					mutate(s)
				}
			})
			text, err := sigsyaml.Marshal(CheckServerConfig(c.Spec))
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := config.Parse(text)
			if err != nil {
				t.Fatalf("check-server refuses the generated config: %v\n%s", err, text)
			}
			if errs := parsed.Validate(); len(errs) > 0 {
				t.Fatalf("generated config invalid: %v", errs)
			}
			if _, err := CheckServer(c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOAuth2ProxyConfig(t *testing.T) {
	c := loaded(t, nil)
	text, err := proxyConfigFor(c.Spec).encode()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if _, err := toml.Decode(text, &m); err != nil {
		t.Fatalf("not TOML: %v\n%s", err, text)
	}
	for key, want := range map[string]any{
		"cookie_expire":       "24h", // a string: a TOML integer would be nanoseconds
		"cookie_refresh":      "59m",
		"prompt":              "none",
		"client_id":           "oauth2-proxy",
		"redirect_url":        "https://kubeflow.example.com/oauth2/callback",
		"login_url":           "https://kubeflow.example.com/dex/auth",
		"redeem_url":          "http://dex.auth.svc.cluster.local:5556/dex/token",
		"cookie_secure":       true,
		"skip_oidc_discovery": true,
	} {
		if m[key] != want {
			t.Errorf("%s = %#v, want %#v", key, m[key], want)
		}
	}
	for _, forbidden := range []string{"client_secret", "cookie_secret", "redis_password"} {
		if _, ok := m[forbidden]; ok {
			t.Errorf("%s must come from a Secret, not the ConfigMap", forbidden)
		}
	}
}

// TestSecretsOnlyByReference: no emitted object carries a literal secret;
// the Deployment env reads every secret through secretKeyRef.
func TestSecretsOnlyByReference(t *testing.T) {
	c := loaded(t, func(s *api.Spec) {
		s.OAuth2Proxy.SessionStore = api.SessionStore{Type: "redis", Redis: &api.Redis{
			Address: "redis://redis:6379", PasswordSecretRef: &api.SecretKeyRef{Name: "redis", Key: "password"}}}
	})
	comps, err := All(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, comp := range comps {
		for _, r := range comp.Resources {
			text := r.MustString()
			if r.GetKind() == "Secret" {
				t.Errorf("%s emits a Secret; secrets are referenced, never generated", comp.Name)
			}
			for _, env := range []string{"OAUTH2_PROXY_CLIENT_SECRET", "OAUTH2_PROXY_COOKIE_SECRET", "OAUTH2_PROXY_REDIS_PASSWORD"} {
				if r.GetKind() == "Deployment" && !strings.Contains(text, "name: "+env+"\n          valueFrom:\n            secretKeyRef:") {
					t.Errorf("%s: %s does not read %s from a secretKeyRef:\n%s", comp.Name, r.GetName(), env, text)
				}
			}
		}
	}
}

// TestAllNeedsLoad: an AuthConfig that only went through Defaulted (no
// validation, no parsed URLs) is refused, not generated from.
func TestAllNeedsLoad(t *testing.T) {
	c := api.Defaulted(api.AuthConfig{APIVersion: api.APIVersion, Kind: api.Kind, Metadata: api.ObjectMeta{Name: "t"},
		Spec: api.Spec{PublicURL: "https://kubeflow.example.com"}})
	if _, err := All(c); err == nil || !strings.Contains(err.Error(), "api.Load") {
		t.Fatalf("All on an AuthConfig Load never saw: err = %v, want one naming api.Load", err)
	}
}
