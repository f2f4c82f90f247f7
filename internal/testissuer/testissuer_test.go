package testissuer_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"meshauth.dev/meshauth/internal/testissuer"
)

// TestIssuer serves discovery and the JWKS as each scenario leaves the
// issuer, and checks which of a fixed set of tokens verify against the
// JWKS it served: exactly the scenario's verified ones.
func TestIssuer(t *testing.T) {
	type scenario struct {
		opts       func(t *testing.T) testissuer.Options
		change     func(t *testing.T, is *testissuer.Issuer) // before the fetches
		wantStatus int                                       // of discovery and the JWKS
		wantKIDs   []string
		verified   []string
	}
	k2 := testissuer.NewKey(t, "k2", jose.ES256)
	plain := func(*testing.T) testissuer.Options { return testissuer.Options{} }
	tests := map[string]scenario{
		"plain": {opts: plain, wantStatus: 200, wantKIDs: []string{"k1"}, verified: []string{"signer", "resigned"}},
		"tls": {opts: func(*testing.T) testissuer.Options { return testissuer.Options{TLS: true} },
			wantStatus: 200, wantKIDs: []string{"k1"}, verified: []string{"signer", "resigned"}},
		"given listener": {opts: func(t *testing.T) testissuer.Options {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return testissuer.Options{Listener: l}
		}, wantStatus: 200, wantKIDs: []string{"k1"}, verified: []string{"signer", "resigned"}},
		"own signer": {opts: func(t *testing.T) testissuer.Options {
			return testissuer.Options{Addr: "127.0.0.1:0", Signer: testissuer.NewKey(t, "bench", jose.RS256)}
		}, wantStatus: 200, wantKIDs: []string{"bench"}, verified: []string{"signer", "resigned"}},
		"rotated": {opts: plain, change: func(_ *testing.T, is *testissuer.Issuer) { is.Publish(k2) },
			wantStatus: 200, wantKIDs: []string{"k2"}, verified: []string{"rotated-in"}},
		"rotating, both published": {opts: plain, change: func(_ *testing.T, is *testissuer.Issuer) { is.Publish(is.Signer, k2) },
			wantStatus: 200, wantKIDs: []string{"k1", "k2"}, verified: []string{"signer", "resigned", "rotated-in"}},
		"down":      {opts: plain, change: func(_ *testing.T, is *testissuer.Issuer) { is.SetDown(true) }, wantStatus: 503},
		"recovered": {opts: plain, change: func(_ *testing.T, is *testissuer.Issuer) { is.SetDown(true); is.SetDown(false) }, wantStatus: 200, wantKIDs: []string{"k1"}, verified: []string{"signer", "resigned"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := tc.opts(t)
			var log bytes.Buffer // read after Close, which waits for the handlers
			o.Log = &log
			is := testissuer.New(t, o)
			if o.Listener != nil && is.URL != "http://"+o.Listener.Addr().String() {
				t.Errorf("URL = %s, want the given listener's %s", is.URL, o.Listener.Addr())
			}
			if strings.HasPrefix(is.URL, "https://") != o.TLS || (is.CAFile != "") != o.TLS {
				t.Errorf("TLS %v: URL %s, CAFile %q", o.TLS, is.URL, is.CAFile)
			}
			c := client(t, is)
			if o.TLS {
				if resp, err := http.Get(is.JWKSURI); err == nil {
					resp.Body.Close()
					t.Errorf("the JWKS was served to a client that does not trust the CA file")
				}
			}
			if tc.change != nil {
				tc.change(t, is)
			}

			var disco struct {
				Issuer  string   `json:"issuer"`
				JWKSURI string   `json:"jwks_uri"`
				Algs    []string `json:"id_token_signing_alg_values_supported"`
			}
			if got := get(t, c, is.URL+"/.well-known/openid-configuration", "", &disco); got != tc.wantStatus {
				t.Fatalf("discovery = %d, want %d", got, tc.wantStatus)
			}
			var set jose.JSONWebKeySet
			if got := get(t, c, is.JWKSURI, "Bearer sa-token", &set); got != tc.wantStatus {
				t.Fatalf("JWKS = %d, want %d", got, tc.wantStatus)
			}
			if is.DiscoveryHits() != 1 || is.JWKSHits() != 1 || is.LastAuthorization() != "Bearer sa-token" {
				t.Errorf("hits: discovery %d, JWKS %d (want 1 each), last Authorization %q", is.DiscoveryHits(), is.JWKSHits(), is.LastAuthorization())
			}
			if err := is.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(is.CAFile); o.TLS && !os.IsNotExist(err) {
				t.Errorf("the CA file outlives Close: %v", err)
			}
			if !strings.Contains(log.String(), "GET /keys") || !strings.Contains(log.String(), "GET /.well-known/openid-configuration") {
				t.Errorf("the request log does not name both requests:\n%s", log.String())
			}
			if tc.wantStatus != 200 {
				return
			}
			if disco.Issuer != is.URL || disco.JWKSURI != is.JWKSURI || len(disco.Algs) == 0 {
				t.Errorf("discovery = %+v, want issuer %s, jwks_uri %s and the algorithms", disco, is.URL, is.JWKSURI)
			}
			var kids []string
			for _, k := range set.Keys {
				kids = append(kids, k.KeyID)
				if !k.IsPublic() {
					t.Errorf("the JWKS publishes private key %s", k.KeyID)
				}
			}
			if !slices.Equal(kids, tc.wantKIDs) {
				t.Errorf("JWKS kids = %v, want %v", kids, tc.wantKIDs)
			}
			for name, tok := range tokens(t, is, k2) {
				if got, want := verifies(tok, set), slices.Contains(tc.verified, name); got != want {
					t.Errorf("token %s verifies = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// tokens are the tokens TestIssuer checks against the JWKS served.
func tokens(t *testing.T, is *testissuer.Issuer, k2 testissuer.Key) map[string]string {
	good := is.Token(t, is.Claims("aud"))
	resigned, err := testissuer.Resign(good, is.Signer, func(c map[string]any) { c["sub"] = "someone-else" })
	if err != nil {
		t.Fatal(err)
	}
	if c, err := testissuer.Payload(resigned); err != nil || c["sub"] != "someone-else" || c["iss"] != is.URL {
		t.Fatalf("resigned claims = %v, %v", c, err)
	}
	return map[string]string{
		"signer":     good,
		"resigned":   resigned,
		"tampered":   testissuer.Tamper(t, good, "sub", "admin"),
		"foreign":    testissuer.Sign(t, testissuer.Foreign(t, is.Signer), is.Claims("aud"), nil),
		"rotated-in": testissuer.Sign(t, k2, is.Claims("aud"), nil),
	}
}

func verifies(tok string, set jose.JSONWebKeySet) bool {
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return false
	}
	var c jwt.Claims
	return parsed.Claims(set, &c) == nil
}

// client trusts the issuer's CA file, read from disk as check-server does.
func client(t *testing.T, is *testissuer.Issuer) *http.Client {
	c := &http.Client{Timeout: 5 * time.Second}
	if is.CAFile == "" {
		return c
	}
	pem, err := os.ReadFile(is.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("CA file %s holds no certificate", is.CAFile)
	}
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	return c
}

// get fetches u and decodes a 200 answer into out.
func get(t *testing.T, c *http.Client, u, authorization string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	return resp.StatusCode
}

// TestMint: the core mints without a testing.TB (what cmd/loadgen uses),
// and Fresh fills in only what the claims lack.
func TestMint(t *testing.T) {
	is, err := testissuer.Start(testissuer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).Unix()
	tok, err := is.Mint(is.Fresh(time.Minute, map[string]any{"aud": "bench", "exp": past}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := testissuer.Payload(tok)
	if err != nil || c["iss"] != is.URL || c["aud"] != "bench" || c["exp"] != float64(past) || c["iat"] == nil {
		t.Errorf("claims = %v, %v: want iss and iat added, aud and exp kept", c, err)
	}
	if err := is.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(is.JWKSURI); err == nil {
		resp.Body.Close()
		t.Errorf("the JWKS is still served after Close")
	}
}
