package loadgen

import (
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/internal/testissuer"
)

// benchUser is the subject and email of the benchmark token, in group
// "bench".
const benchUser = "bench@example.com"

// StartBenchIssuer serves a throwaway JWT issuer for benchmarks on addr
// (e.g. 127.0.0.1:0): its RSA-2048 key "bench" as a JWKS over plain HTTP,
// and the token it signs for aud, valid for an hour.
func StartBenchIssuer(addr, aud string) (*testissuer.Issuer, string, error) {
	k, err := testissuer.SharedKey("bench", jose.RS256)
	if err != nil {
		return nil, "", err
	}
	is, err := testissuer.Start(testissuer.Options{Addr: addr, Signer: k})
	if err != nil {
		return nil, "", err
	}
	tok, err := is.Mint(is.Fresh(time.Hour, map[string]any{"aud": aud, "sub": benchUser, "email": benchUser, "groups": []string{"bench"}}))
	if err != nil {
		_ = is.Close()
		return nil, "", err
	}
	return is, tok, nil
}
