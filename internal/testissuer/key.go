package testissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is a signing key and how it is published.
type Key struct {
	KID  string
	Alg  jose.SignatureAlgorithm
	Priv crypto.Signer
}

// JWK is the public JWK of k.
func (k Key) JWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Priv.Public(), KeyID: k.KID, Algorithm: string(k.Alg), Use: "sig"}
}

// KeySet is the public key set that publishes keys.
func KeySet(keys ...Key) jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	return set
}

var (
	keyMu    sync.Mutex
	keyCache = map[string]crypto.Signer{}
)

// SharedKey returns a key for alg, reusing key material per (kid, alg)
// across the process because RSA generation is slow. Other material under
// the same kid is what Foreign gives.
func SharedKey(kid string, alg jose.SignatureAlgorithm) (Key, error) {
	keyMu.Lock()
	defer keyMu.Unlock()
	name := kid + "/" + string(alg)
	priv, ok := keyCache[name]
	if !ok {
		var err error
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			priv, err = rsa.GenerateKey(rand.Reader, 2048)
		case jose.ES256:
			priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case jose.ES384:
			priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case jose.EdDSA:
			_, priv, err = ed25519.GenerateKey(rand.Reader)
		default:
			err = fmt.Errorf("testissuer: unsupported alg %s", alg)
		}
		if err != nil {
			return Key{}, err
		}
		keyCache[name] = priv
	}
	return Key{KID: kid, Alg: alg, Priv: priv}, nil
}
