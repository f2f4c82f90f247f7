package jwtauth

import (
	"context"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/testissuer"
)

// FuzzVerify feeds arbitrary strings to Parse and Verify against a preloaded
// key set (no network). Nothing may panic, and an accepted token must carry
// a user, an expiry and the configured issuer's key's signature — checked by
// requiring that acceptance only happens for tokens that re-verify with the
// trusted key directly.
func FuzzVerify(f *testing.F) {
	k := testissuer.NewKey(f, "k1", jose.RS256)
	iss := "https://issuer.test"
	claims := map[string]any{"iss": iss, "aud": "a", "sub": "u", "exp": time.Now().Add(time.Hour).Unix(), "groups": []string{"g"}}
	good := testissuer.Sign(f, k, claims, nil)
	f.Add(good)
	f.Add(good + "x")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add(testissuer.Raw(f, map[string]any{"alg": "none"}, claims, nil))
	f.Add(testissuer.SignRaw(f, k, map[string]any{"alg": "RS256", "kid": "k1", "crit": []string{"x"}}, claims))
	f.Add(testissuer.SignRaw(f, k, map[string]any{"alg": "RS256", "kid": "k1"}, `{"iss":"https://issuer.test","exp":1e400}`))
	f.Add("a.b.c.d.e")
	f.Add("")
	f.Add("....")
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.")

	v, err := New(Options{
		Issuers: []config.Issuer{{Issuer: iss, JWKSURI: "https://unused.invalid/keys", Audiences: []string{"a"}, Algorithms: []string{"RS256"}, UserClaim: "sub", GroupsClaim: "groups"}},
		JWKS:    config.JWKS{RefreshInterval: config.D(time.Hour), MinRefetchInterval: config.D(time.Hour), Timeout: config.D(time.Second)},
		Leeway:  time.Minute,
	})
	if err != nil {
		f.Fatal(err)
	}
	v.KeySet(iss).Preload([]jose.JSONWebKey{k.JWK()})
	f.Fuzz(func(t *testing.T, token string) {
		p, err := Parse(token)
		if err != nil {
			return
		}
		id, err := v.Verify(context.Background(), p)
		if err != nil {
			return
		}
		if id.User == "" || id.Expiry.IsZero() {
			t.Fatalf("accepted identity without user or expiry: %+v", id)
		}
		jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("accepted a token go-jose cannot parse: %v", err)
		}
		if _, err := jws.Verify(k.Priv.Public()); err != nil {
			t.Fatalf("accepted a token not signed by the trusted key: %v", err)
		}
	})
}
