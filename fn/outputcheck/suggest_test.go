package outputcheck

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"cookie_secure", "cookie_expire", "oidc_issuer_url", "redirect_url"}
	tests := map[string]struct{ name, want string }{
		"one letter off":    {"cookie_secur", "cookie_secure"},
		"dash for _":        {"oidc-issuer-url", "oidc_issuer_url"},
		"camelCase":         {"redirectURL", "redirect_url"},
		"nothing close":     {"upstream", ""},
		"tie picks smaller": {"cookie_sexure", "cookie_secure"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := closest(tc.name, known); got != tc.want {
				t.Errorf("closest(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
