// Package testissuer is the one local OIDC issuer of the tests, the e2e
// environments and the benchmarks: a server on loopback (plain HTTP or TLS)
// serving discovery and a JWKS, whose keys can be rotated and which can be
// taken down, plus the helpers that mint good and hostile tokens.
//
// The core (Start, Mint, Resign, ...) returns errors and needs no
// testing.TB, so cmd/loadgen can serve it; testing.go holds the test
// conveniences on top (New, Token, Sign, ...), which fail the test instead.
package testissuer

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Options says where and how an issuer serves. The zero value is plain HTTP
// on a fresh 127.0.0.1 port, signing with the shared RS256 key "k1".
type Options struct {
	// Listener is served when set (Addr is then ignored).
	Listener net.Listener
	// Addr is listened on when Listener is nil; 127.0.0.1:0 when empty.
	Addr string
	// TLS serves https with httptest's certificate (valid for 127.0.0.1);
	// the issuer's CAFile holds it for clients to trust.
	TLS bool
	// Signer is the key published first and used by Mint and Token; the
	// shared RS256 key "k1" when its Priv is nil.
	Signer Key
	// Log, when set, gets one line per request and the server's errors:
	// what the e2e logs show next to the programs that fetched the keys.
	Log io.Writer
}

// Issuer is a running issuer.
type Issuer struct {
	// URL is the issuer identifier (the server's base URL).
	URL string
	// JWKSURI is the key set URL.
	JWKSURI string
	// CAFile is a PEM file holding the server's certificate (TLS only).
	CAFile string
	// Signer is the default key of Mint and Token.
	Signer Key

	server *httptest.Server
	caDir  string
	log    *log.Logger

	mu         sync.Mutex
	published  []Key
	down       bool
	jwksHits   atomic.Int64
	discHits   atomic.Int64
	bearerSeen atomic.Value
}

// Start serves an issuer publishing o.Signer until Close.
func Start(o Options) (*Issuer, error) {
	is := &Issuer{Signer: o.Signer}
	if is.Signer.Priv == nil {
		k, err := SharedKey("k1", jose.RS256)
		if err != nil {
			return nil, err
		}
		is.Signer = k
	}
	is.published = []Key{is.Signer}
	l := o.Listener
	if l == nil {
		addr := o.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			return nil, err
		}
	}
	is.log = log.New(io.Discard, "", 0)
	if o.Log != nil {
		is.log = log.New(o.Log, "", log.Ltime|log.Lmicroseconds)
	}
	// The handlers read URL and JWKSURI: set before the first request can come.
	is.URL = "http://" + l.Addr().String()
	if o.TLS {
		is.URL = "https://" + l.Addr().String()
	}
	is.JWKSURI = is.URL + "/keys"
	is.server = &httptest.Server{Listener: l, Config: &http.Server{
		Handler: is.handler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: is.log}}
	if !o.TLS {
		is.server.Start()
		return is, nil
	}
	is.server.StartTLS()
	if err := is.writeCA(); err != nil {
		_ = is.Close()
		return nil, err
	}
	return is, nil
}

// writeCA puts the server's certificate where file-configured clients
// (check-server's caFile) can read it.
func (is *Issuer) writeCA() error {
	dir, err := os.MkdirTemp("", "testissuer-")
	if err != nil {
		return err
	}
	is.caDir = dir
	is.CAFile = filepath.Join(dir, "ca.crt")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.server.Certificate().Raw})
	return os.WriteFile(is.CAFile, pemBytes, 0o600)
}

func (is *Issuer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.discHits.Add(1)
		keys, ok := is.keys()
		if !ok {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var algs []string
		for _, k := range keys {
			if !slices.Contains(algs, string(k.Alg)) {
				algs = append(algs, string(k.Alg))
			}
		}
		writeJSON(w, map[string]any{"issuer": is.URL, "jwks_uri": is.JWKSURI, "id_token_signing_alg_values_supported": algs})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		is.bearerSeen.Store(r.Header.Get("Authorization"))
		keys, ok := is.keys()
		if !ok {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, KeySet(keys...))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.log.Printf("%s %s", r.Method, r.URL.Path)
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// keys is the published set, or false while the issuer is down.
func (is *Issuer) keys() ([]Key, bool) {
	is.mu.Lock()
	defer is.mu.Unlock()
	return slices.Clone(is.published), !is.down
}

// Close stops the server and removes the CA file.
func (is *Issuer) Close() error {
	is.server.Close()
	if is.caDir != "" {
		return os.RemoveAll(is.caDir)
	}
	return nil
}

// Certificate is the server's TLS certificate (nil over plain HTTP).
func (is *Issuer) Certificate() *x509.Certificate { return is.server.Certificate() }

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

// JWKSHits counts JWKS requests, answered or not.
func (is *Issuer) JWKSHits() int64 { return is.jwksHits.Load() }

// DiscoveryHits counts discovery requests, answered or not.
func (is *Issuer) DiscoveryHits() int64 { return is.discHits.Load() }

// LastAuthorization is the Authorization header of the last JWKS request.
func (is *Issuer) LastAuthorization() string {
	s, _ := is.bearerSeen.Load().(string)
	return s
}

// Claims returns valid claims of a user for audience aud, valid for an hour.
func (is *Issuer) Claims(aud string) map[string]any {
	return is.Fresh(time.Hour, map[string]any{
		"aud":    aud,
		"sub":    "user-1",
		"email":  "alice@example.com",
		"groups": []string{"admins", "dev"},
		"nbf":    time.Now().Unix(),
	})
}

// Fresh is claims with this issuer's iss, iat now and exp now+ttl added
// where claims lack them.
func (is *Issuer) Fresh(ttl time.Duration, claims map[string]any) map[string]any {
	c := Fresh(ttl, claims)
	if _, ok := c["iss"]; !ok {
		c["iss"] = is.URL
	}
	return c
}

// Mint signs claims, exactly as given, with the issuer's Signer.
func (is *Issuer) Mint(claims map[string]any) (string, error) {
	return Mint(is.Signer, claims, nil)
}
