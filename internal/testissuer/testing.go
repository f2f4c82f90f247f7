package testissuer

import (
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// The test conveniences: each is its core function, failing t on error.

// New starts an issuer (Start) that stops when the test ends.
func New(t testing.TB, o Options) *Issuer {
	t.Helper()
	is, err := Start(o)
	if err != nil {
		t.Fatalf("testissuer: %v", err)
	}
	t.Cleanup(func() { _ = is.Close() })
	return is
}

// NewKey is SharedKey.
func NewKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) Key {
	t.Helper()
	k, err := SharedKey(kid, alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Foreign is a key with k's kid and alg on key material no issuer
// publishes unless told to: a signature with it must not verify.
func Foreign(t testing.TB, k Key) Key {
	t.Helper()
	f := NewKey(t, "foreign:"+k.KID, k.Alg)
	f.KID = k.KID
	return f
}

// Token is Mint with the issuer's Signer.
func (is *Issuer) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return Sign(t, is.Signer, claims, nil)
}

// Sign is Mint: claims signed with k, extra protected headers added.
func Sign(t testing.TB, k Key, claims map[string]any, extra map[jose.HeaderKey]any) string {
	t.Helper()
	return must(t)(Mint(k, claims, extra))
}

// Raw builds a compact token from arbitrary header and payload JSON values
// (a string is raw JSON) and signature bytes, for tokens no honest signer
// would produce.
func Raw(t testing.TB, header, payload any, sig []byte) string {
	t.Helper()
	return must(t)(raw(header, payload, sig))
}

// SignRaw signs arbitrary header and claims JSON values (a string is raw
// JSON) with k's own algorithm (RS256, RS512, PS256 or ES256), whatever the
// header's "alg" says. It lets tests produce tokens that are correctly
// signed by a trusted key yet carry hostile headers (crit, jku, cty, ...),
// which no honest signer library emits.
func SignRaw(t testing.TB, k Key, header any, claims any) string {
	t.Helper()
	return must(t)(signRaw(k, header, claims))
}

// Tamper changes one claim of a signed token without re-signing it.
func Tamper(t testing.TB, tok, claim string, value any) string {
	t.Helper()
	return must(t)(tampered(tok, func(c map[string]any) { c[claim] = value }))
}

// must fails t on a token helper's error.
func must(t testing.TB) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("testissuer: %v", err)
		}
		return s
	}
}
