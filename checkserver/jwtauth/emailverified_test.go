package jwtauth

import (
	"testing"
	"time"

	"meshauth.dev/meshauth/checkserver/config"
)

// TestRequireVerifiedEmail: with RequireVerifiedEmail a token saying
// email_verified: false (boolean or string) is refused; true, absent or
// another value passes, and without the setting everything passes.
func TestRequireVerifiedEmail(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	type scenario struct {
		verified string // the claim as JSON, "" for absent
		require  bool
		refused  bool
	}
	tests := map[string]scenario{
		"false, required":        {verified: `false`, require: true, refused: true},
		"string false, required": {verified: `"false"`, require: true, refused: true},
		"true, required":         {verified: `true`, require: true},
		"absent, required":       {require: true},
		"string true, required":  {verified: `"true"`, require: true},
		"false, not required":    {verified: `false`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			payload := `{"iss":"https://idp","aud":"app","sub":"u","exp":1800000600`
			if tc.verified != "" {
				payload += `,"email_verified":` + tc.verified
			}
			c, err := parseClaims([]byte(payload + "}"))
			if err != nil {
				t.Fatal(err)
			}
			ic := config.Issuer{Issuer: "https://idp", UserClaim: "sub", GroupsClaim: "groups", RequireVerifiedEmail: tc.require}
			_, err = c.identity(ic, map[string]bool{"app": true}, now, 0)
			if (err != nil) != tc.refused {
				t.Fatalf("identity error = %v, want refused = %v", err, tc.refused)
			}
		})
	}
}
