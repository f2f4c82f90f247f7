package testissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Mint signs claims with k (go-jose: what an honest issuer emits), adding
// extra protected headers.
func Mint(k Key, claims map[string]any, extra map[jose.HeaderKey]any) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for hk, v := range extra {
		opts = opts.WithHeader(hk, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: jose.JSONWebKey{Key: k.Priv, KeyID: k.KID}}, opts)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Fresh is a copy of claims with iat now and exp now+ttl added where claims
// lack them.
func Fresh(ttl time.Duration, claims map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iat": now.Unix(), "exp": now.Add(ttl).Unix()}
	maps.Copy(c, claims)
	return c
}

// Payload decodes a compact token's claims without verifying it: for
// assertions on a token a verifier already accepted.
func Payload(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWS compact token")
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(p, &claims); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return claims, nil
}

// Resign returns tok with its claims changed by mutate, its header kept
// byte for byte, signed again with k: a token of an issuer whose own
// signer will not make it (an expired one from the Kubernetes TokenRequest
// API, whose shortest lifetime is 10 minutes).
func Resign(tok string, k Key, mutate func(claims map[string]any)) (string, error) {
	input, _, err := rewrite(tok, mutate)
	if err != nil {
		return "", err
	}
	sig, err := signature(k, input)
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// tampered returns tok with its claims changed by mutate and its old
// signature kept: a token every verifier must refuse.
func tampered(tok string, mutate func(claims map[string]any)) (string, error) {
	input, sig, err := rewrite(tok, mutate)
	if err != nil {
		return "", err
	}
	return input + "." + sig, nil
}

// rewrite is the signing input of tok with its claims changed by mutate,
// and tok's encoded signature.
func rewrite(tok string, mutate func(claims map[string]any)) (input, sig string, err error) {
	claims, err := Payload(tok)
	if err != nil {
		return "", "", err
	}
	mutate(claims)
	p, err := segment(claims)
	if err != nil {
		return "", "", err
	}
	parts := strings.Split(tok, ".")
	return parts[0] + "." + p, parts[2], nil
}

// segment is v as a base64url token segment: a string is taken as raw
// JSON (to carry what a JSON encoder will not write, such as duplicate
// names), anything else is marshalled.
func segment(v any) (string, error) {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return "", err
		}
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// raw builds a compact token from header and payload (see segment) and
// signature bytes, for tokens no honest signer would produce.
func raw(header, payload any, sig []byte) (string, error) {
	h, err := segment(header)
	if err != nil {
		return "", err
	}
	p, err := segment(payload)
	if err != nil {
		return "", err
	}
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// signRaw signs header and claims (see segment) with k, whatever the
// header's "alg" says: correctly signed tokens with hostile headers (crit,
// jku, cty, ...), which no honest signer library emits.
func signRaw(k Key, header, claims any) (string, error) {
	unsigned, err := raw(header, claims, nil)
	if err != nil {
		return "", err
	}
	input := strings.TrimSuffix(unsigned, ".")
	sig, err := signature(k, input)
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// signature signs a JWS signing input with k's own algorithm: RS256, RS512,
// PS256 (any other RSA alg as RS256) or ES256.
func signature(k Key, input string) ([]byte, error) {
	switch priv := k.Priv.(type) {
	case *rsa.PrivateKey:
		h := crypto.SHA256
		if k.Alg == jose.RS512 {
			h = crypto.SHA512
		}
		d := h.New()
		d.Write([]byte(input))
		if k.Alg == jose.PS256 {
			return rsa.SignPSS(rand.Reader, priv, h, d.Sum(nil), nil)
		}
		return rsa.SignPKCS1v15(rand.Reader, priv, h, d.Sum(nil))
	case *ecdsa.PrivateKey:
		d := crypto.SHA256.New()
		d.Write([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, priv, d.Sum(nil))
		if err != nil {
			return nil, err
		}
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...), nil
	default:
		return nil, fmt.Errorf("testissuer: cannot sign raw with %T", k.Priv)
	}
}
