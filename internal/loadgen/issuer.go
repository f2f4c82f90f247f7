package loadgen

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// BenchIssuer is a throwaway JWT issuer for benchmarks: an RSA-2048 key
// served as a JWKS over plain HTTP on loopback, and tokens signed by it.
type BenchIssuer struct {
	URL     string
	JWKSURI string
	key     *rsa.PrivateKey
	server  *http.Server
}

// StartBenchIssuer listens on addr (e.g. 127.0.0.1:0) and serves the JWKS.
func StartBenchIssuer(addr string) (*BenchIssuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	b := &BenchIssuer{URL: "http://" + l.Addr().String(), key: key}
	b.JWKSURI = b.URL + "/keys"
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "bench", Algorithm: "RS256", Use: "sig"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("/keys", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	b.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = b.server.Serve(l) }()
	return b, nil
}

// Token signs an RS256 token for aud and user, valid for ttl.
func (b *BenchIssuer) Token(aud, user string, groups []string, ttl time.Duration) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: b.key, KeyID: "bench"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	now := time.Now()
	payload, err := json.Marshal(map[string]any{"iss": b.URL, "aud": aud, "sub": user, "email": user,
		"groups": groups, "iat": now.Unix(), "exp": now.Add(ttl).Unix()})
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Close stops the server.
func (b *BenchIssuer) Close() error { return b.server.Close() }
