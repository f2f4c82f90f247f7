// Package testissuer is a local OIDC issuer for tests: an httptest TLS server
// on 127.0.0.1 serving discovery and a JWKS, whose keys can be rotated and
// which can be taken down, plus helpers that mint good and hostile tokens.
package testissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

var (
	keyMu    sync.Mutex
	keyCache = map[string]crypto.Signer{}
)

// NewKey returns a key for alg, reusing key material per (kid, alg) across
// tests in the process because RSA generation is slow.
func NewKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) Key {
	t.Helper()
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
			t.Fatalf("testissuer: unsupported alg %s", alg)
		}
		if err != nil {
			t.Fatal(err)
		}
		keyCache[name] = priv
	}
	return Key{KID: kid, Alg: alg, Priv: priv}
}

// Issuer is a running test issuer.
type Issuer struct {
	Server *httptest.Server
	// URL is the issuer identifier (the server's base URL).
	URL string
	// CAFile is a PEM file holding the server's self-signed certificate.
	CAFile string
	// JWKSURI is the key set URL.
	JWKSURI string

	mu         sync.Mutex
	published  []Key
	down       bool
	jwksHits   atomic.Int64
	discHits   atomic.Int64
	bearerSeen atomic.Value
	// Signer is the default key used by Token.
	Signer Key
}

// New starts an issuer publishing one RS256 key "k1".
func New(t testing.TB) *Issuer {
	t.Helper()
	is := &Issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.discHits.Add(1)
		if is.isDown() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.JWKSURI})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		is.bearerSeen.Store(r.Header.Get("Authorization"))
		if is.isDown() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		is.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range is.published {
			set.Keys = append(set.Keys, k.JWK())
		}
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	is.Server = httptest.NewTLSServer(mux)
	t.Cleanup(is.Server.Close)
	is.URL = is.Server.URL
	is.JWKSURI = is.URL + "/keys"
	is.CAFile = filepath.Join(t.TempDir(), "ca.crt")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.Server.Certificate().Raw})
	if err := os.WriteFile(is.CAFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	is.Signer = NewKey(t, "k1", jose.RS256)
	is.published = []Key{is.Signer}
	return is
}

// Publish replaces the published key set (rotation).
func (is *Issuer) Publish(keys ...Key) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.published = keys
}

// SetDown makes discovery and JWKS answer 503 (an outage) or recover.
func (is *Issuer) SetDown(down bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.down = down
}

func (is *Issuer) isDown() bool {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.down
}

// JWKSHits counts JWKS requests.
func (is *Issuer) JWKSHits() int64 { return is.jwksHits.Load() }

// LastAuthorization is the Authorization header of the last JWKS request.
func (is *Issuer) LastAuthorization() string {
	s, _ := is.bearerSeen.Load().(string)
	return s
}

// Claims returns valid claims for audience aud, valid for an hour.
func (is *Issuer) Claims(aud string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":    is.URL,
		"aud":    aud,
		"sub":    "user-1",
		"email":  "alice@example.com",
		"groups": []string{"admins", "dev"},
		"iat":    now.Unix(),
		"nbf":    now.Unix(),
		"exp":    now.Add(time.Hour).Unix(),
	}
}

// Token signs claims with the issuer's default key.
func (is *Issuer) Token(t testing.TB, claims map[string]any) string {
	return Sign(t, is.Signer, claims, nil)
}

// Sign signs claims with k, adding extra protected headers.
func Sign(t testing.TB, k Key, claims map[string]any, extra map[jose.HeaderKey]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	for hk, v := range extra {
		opts = opts.WithHeader(hk, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: jose.JSONWebKey{Key: k.Priv, KeyID: k.KID}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Raw builds a compact token from arbitrary header and payload JSON values and
// signature bytes, for tokens no honest signer would produce.
func Raw(t testing.TB, header, payload any, sig []byte) string {
	t.Helper()
	enc := func(v any) string {
		if s, ok := v.(string); ok {
			return base64.RawURLEncoding.EncodeToString([]byte(s))
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// SignRaw signs arbitrary header and claims JSON values (a string is raw JSON) with k (RS256,
// RS512, PS256 or ES256 by k.Alg unless header says otherwise in "alg" —
// the signature always uses k's own algorithm). It lets tests produce
// tokens that are correctly signed by a trusted key yet carry hostile
// headers (crit, jku, cty, ...), which no honest signer library emits.
func SignRaw(t testing.TB, k Key, header any, claims any) string {
	t.Helper()
	var hb []byte
	var err error
	if s, ok := header.(string); ok {
		hb = []byte(s) // raw JSON, e.g. with duplicate names
	} else if hb, err = json.Marshal(header); err != nil {
		t.Fatal(err)
	}
	var pb []byte
	if s, ok := claims.(string); ok {
		pb = []byte(s)
	} else if pb, err = json.Marshal(claims); err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(pb)
	var sig []byte
	switch priv := k.Priv.(type) {
	case *rsa.PrivateKey:
		h := crypto.SHA256
		if k.Alg == jose.RS512 {
			h = crypto.SHA512
		}
		d := h.New()
		d.Write([]byte(input))
		if k.Alg == jose.PS256 {
			sig, err = rsa.SignPSS(rand.Reader, priv, h, d.Sum(nil), nil)
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, priv, h, d.Sum(nil))
		}
	case *ecdsa.PrivateKey:
		d := crypto.SHA256.New()
		d.Write([]byte(input))
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, priv, d.Sum(nil))
		if err == nil {
			sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		}
	default:
		t.Fatalf("SignRaw: unsupported key %T", k.Priv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// DiscoveryHits counts discovery requests.
func (is *Issuer) DiscoveryHits() int64 { return is.discHits.Load() }
