// Package jwtauth verifies bearer JWTs from configured issuers with go-jose v4
// (no hand-rolled JWS parsing) and a strict policy on headers and claims.
package jwtauth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// allAsymmetric is every algorithm any issuer may allow; it is the parse-time
// allow-list before the token's issuer (and its own list) is known. "none"
// and HS* are absent, so go-jose rejects them at parse time.
var allAsymmetric = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// Issuer is one trusted issuer with its key set.
type Issuer struct {
	cfg  config.Issuer
	algs map[string]bool
	auds map[string]bool
	Keys *RemoteKeySet
}

// Verifier checks tokens against a set of issuers.
type Verifier struct {
	issuers map[string]*Issuer
	leeway  time.Duration
	claims  []string
	now     func() time.Time
}

// Options configure New.
type Options struct {
	Issuers []config.Issuer
	JWKS    config.JWKS
	Leeway  time.Duration
	// OnFetch observes JWKS fetches per issuer (metrics).
	OnFetch func(issuer string, err error)
	// OnKeys receives each issuer's current KeyRefs after every successful
	// fetch (revocation: evict what was verified with a vanished key).
	OnKeys func(issuer string, refs map[string]bool)
	// Claims are copied into Identity.Claims (the access policy's claims).
	Claims []string
}

// New builds a Verifier. Key sets are not fetched until Run.
func New(o Options) (*Verifier, error) {
	v := &Verifier{issuers: map[string]*Issuer{}, leeway: o.Leeway, claims: o.Claims, now: time.Now}
	for _, ic := range o.Issuers {
		iss := ic.Issuer
		var onFetch func(error)
		if o.OnFetch != nil {
			onFetch = func(err error) { o.OnFetch(iss, err) }
		}
		var onKeys func(map[string]bool)
		if o.OnKeys != nil {
			onKeys = func(refs map[string]bool) { o.OnKeys(iss, refs) }
		}
		ks, err := NewRemoteKeySet(KeySetOptions{
			Issuer: ic.Issuer, Discovery: ic.Discovery, JWKSURI: ic.JWKSURI, CAFile: ic.CAFile,
			BearerTokenFile: ic.BearerTokenFile, AllowHTTP: ic.AllowHTTP,
			Refresh: o.JWKS.RefreshInterval.Duration, MinRefetch: o.JWKS.MinRefetchInterval.Duration,
			Timeout: o.JWKS.Timeout.Duration, OnFetch: onFetch, OnKeys: onKeys,
		})
		if err != nil {
			return nil, err
		}
		is := &Issuer{cfg: ic, algs: map[string]bool{}, auds: map[string]bool{}, Keys: ks}
		for _, a := range ic.Algorithms {
			is.algs[a] = true
		}
		for _, a := range ic.Audiences {
			is.auds[a] = true
		}
		v.issuers[ic.Issuer] = is
	}
	return v, nil
}

// SetClock replaces the clock (tests).
func (v *Verifier) SetClock(now func() time.Time) { v.now = now }

// Run refreshes every issuer's keys until ctx ends.
func (v *Verifier) Run(ctx context.Context) {
	for _, is := range v.issuers {
		go is.Keys.Run(ctx)
	}
}

// Ready reports whether every required issuer has keys loaded.
func (v *Verifier) Ready() bool {
	for _, is := range v.issuers {
		if is.cfg.Required && !is.Keys.Loaded() {
			return false
		}
	}
	return true
}

// ErrUnknownIssuer means the token is a well-formed JWS whose iss is not a
// configured issuer; the caller may hand it to TokenReview.
var ErrUnknownIssuer = errors.New("token issuer is not configured")

// Parsed is a structurally valid JWS that passed the header policy but whose
// signature is not verified yet.
type Parsed struct {
	jws    *jose.JSONWebSignature
	Claims claims
}

// Parse applies the structural and header policy to token. It rejects:
// anything but base64url compact serialisation with three parts (so JWE and
// JSON serialisation), alg none/HS*/unknown, jku/x5u/jwk/x5c (keys or key
// locations chosen by the token), any crit (no extension is understood, RFC
// 7515 §4.1.11), b64, cty (nested JWTs) and payloads that are not a JSON object.
func Parse(token string) (*Parsed, error) {
	if !isCompactCharset(token) {
		return nil, authn.Invalid("token is not base64url compact serialisation")
	}
	if n := countDots(token); n != 2 {
		if n == 4 {
			return nil, authn.Invalid("encrypted tokens (JWE) are not accepted")
		}
		return nil, authn.Invalid("token must have three parts")
	}
	// go-jose decodes the protected header with encoding/json (last
	// duplicate wins): refuse duplicates before it sees them.
	if hdr, err := base64.RawURLEncoding.DecodeString(token[:strings.IndexByte(token, '.')]); err != nil {
		return nil, authn.Invalid("malformed token")
	} else if errors.Is(checkUniqueKeys(hdr), errDuplicateKey) {
		return nil, authn.Invalid("duplicate header parameter names")
	}
	jws, err := jose.ParseSignedCompact(token, allAsymmetric)
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return nil, authn.Invalid("signature algorithm not allowed")
		}
		return nil, authn.Invalid("malformed token")
	}
	if len(jws.Signatures) != 1 {
		return nil, authn.Invalid("token must have exactly one signature")
	}
	h := jws.Signatures[0].Protected
	if h.JSONWebKey != nil {
		return nil, authn.Invalid("jwk header not accepted")
	}
	if _, err := h.Certificates(x509.VerifyOptions{}); !errors.Is(err, jose.ErrMissingX5cHeader) {
		return nil, authn.Invalid("x5c header not accepted")
	}
	for _, k := range []jose.HeaderKey{"jku", "x5u", "crit", "b64", "cty", "zip", "enc"} {
		if _, ok := h.ExtraHeaders[k]; ok {
			return nil, authn.Invalid(string(k) + " header not accepted")
		}
	}
	c, err := parseClaims(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		return nil, err
	}
	return &Parsed{jws: jws, Claims: c}, nil
}

// Issuer returns the unverified iss claim, for routing only.
func (p *Parsed) Issuer() string { return p.Claims.str("iss") }

// Handles reports whether iss is a configured issuer.
func (v *Verifier) Handles(iss string) bool { _, ok := v.issuers[iss]; return ok }

// Verify checks the signature and claims of a parsed token.
func (v *Verifier) Verify(ctx context.Context, p *Parsed) (authn.Identity, error) {
	is, ok := v.issuers[p.Issuer()]
	if !ok {
		return authn.Identity{}, ErrUnknownIssuer
	}
	h := p.jws.Signatures[0].Protected
	if !is.algs[h.Algorithm] {
		return authn.Identity{}, authn.Invalid("signature algorithm not allowed for issuer")
	}
	keys := is.Keys.Lookup(ctx, h.KeyID, h.Algorithm)
	if len(keys) == 0 {
		if !is.Keys.Loaded() {
			return authn.Identity{}, authn.Unavailable("issuer keys not loaded")
		}
		return authn.Identity{}, authn.Invalid("no key matches kid and alg")
	}
	var payload []byte
	var used jose.JSONWebKey
	for _, k := range keys {
		if b, err := p.jws.Verify(k.Key); err == nil {
			payload, used = b, k
			break
		}
	}
	if payload == nil {
		return authn.Identity{}, authn.Invalid("signature verification failed")
	}
	// Re-read the claims from the verified payload, not the pre-parsed copy.
	c, err := parseClaims(payload)
	if err != nil {
		return authn.Identity{}, err
	}
	id, err := c.identity(is.cfg, is.auds, v.now(), v.leeway)
	if err != nil {
		return authn.Identity{}, err
	}
	id.Issuer, id.KeyRef, id.Claims = is.cfg.Issuer, is.Keys.Ref(used), c.strings(v.claims)
	return id, nil
}

func isCompactCharset(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func countDots(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			n++
		}
	}
	return n
}

// Expiry returns the unverified exp claim, zero if absent or malformed. Only
// use it once the token was verified by some other authority.
func (p *Parsed) Expiry() time.Time {
	t, _, err := p.Claims.numericDate("exp")
	if err != nil {
		return time.Time{}
	}
	return t
}

// KeySet returns the key set of a configured issuer, or nil.
func (v *Verifier) KeySet(issuer string) *RemoteKeySet {
	if is, ok := v.issuers[issuer]; ok {
		return is.Keys
	}
	return nil
}
