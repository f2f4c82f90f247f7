package tokenreview

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authv1 "k8s.io/api/authentication/v1"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// APIServer is a stand-in for kube-apiserver on 127.0.0.1 that follows the
// TokenReview REST protocol: POST application/json TokenReview to
// /apis/authentication.k8s.io/v1/tokenreviews, authenticated with a bearer
// token, answered with 201 Created and the same object with status filled.
type APIServer struct {
	Config config.TokenReview
	Calls  atomic.Int64
	// Tokens maps a reviewed token to the user it authenticates as.
	Tokens map[string]authv1.UserInfo
	// TokenAudiences, when set, are the audiences every token is valid for.
	TokenAudiences []string
	// Status, when non-zero, is returned instead of a review.
	Status int
}

// StartAPIServer starts the stand-in and writes its CA and the caller's token.
func StartAPIServer(t testing.TB) *APIServer {
	t.Helper()
	a := &APIServer{Tokens: map[string]authv1.UserInfo{}}
	srv := httptest.NewTLSServer(http.HandlerFunc(a.serve))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tok, []byte("check-server-sa-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.Config = config.TokenReview{Enabled: true, APIServer: srv.URL, CAFile: ca, TokenFile: tok,
		Timeout: config.D(2 * time.Second), CacheTTL: config.D(time.Minute)}
	return a
}

func (a *APIServer) serve(w http.ResponseWriter, r *http.Request) {
	a.Calls.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != Path || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer check-server-sa-token" {
		http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
		return
	}
	if a.Status != 0 {
		w.WriteHeader(a.Status)
		return
	}
	var tr authv1.TokenReview
	if err := json.NewDecoder(r.Body).Decode(&tr); err != nil || tr.Kind != "TokenReview" || tr.APIVersion != "authentication.k8s.io/v1" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if u, ok := a.Tokens[tr.Spec.Token]; ok {
		auds := a.TokenAudiences
		if len(tr.Spec.Audiences) > 0 {
			auds = intersect(tr.Spec.Audiences, a.TokenAudiences)
		}
		if len(tr.Spec.Audiences) == 0 || len(auds) > 0 {
			tr.Status = authv1.TokenReviewStatus{Authenticated: true, User: u, Audiences: auds}
		} else {
			tr.Status = authv1.TokenReviewStatus{Error: "token audiences invalid"}
		}
	} else {
		tr.Status = authv1.TokenReviewStatus{Error: "invalid bearer token"}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(tr)
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}

func TestReview(t *testing.T) {
	sa := authv1.UserInfo{Username: "system:serviceaccount:kubeflow:pipeline-runner", Groups: []string{"system:serviceaccounts"}}
	type scenario struct {
		token     string
		audiences []string
		tokenAuds []string
		status    int
		wantUser  string
		wantErr   error
	}
	tests := map[string]scenario{
		"authenticated":          {token: "good", wantUser: sa.Username},
		"not authenticated":      {token: "bad", wantErr: authn.ErrInvalid},
		"audience matches":       {token: "good", audiences: []string{"check-server"}, tokenAuds: []string{"check-server"}, wantUser: sa.Username},
		"audience mismatch":      {token: "good", audiences: []string{"check-server"}, tokenAuds: []string{"api"}, wantErr: authn.ErrInvalid},
		"api server error":       {token: "good", status: http.StatusInternalServerError, wantErr: authn.ErrUnavailable},
		"missing RBAC is outage": {token: "good", status: http.StatusForbidden, wantErr: authn.ErrUnavailable},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := StartAPIServer(t)
			a.Tokens["good"] = sa
			a.TokenAudiences = tc.tokenAuds
			a.Status = tc.status
			cfg := a.Config
			cfg.Audiences = tc.audiences
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.Review(context.Background(), tc.token)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil {
				if d := cmp.Diff(authn.Identity{User: tc.wantUser, Groups: sa.Groups, Method: "tokenreview"}, id); d != "" {
					t.Fatal(d)
				}
			}
		})
	}
}

func TestReviewUntrustedCA(t *testing.T) {
	a := StartAPIServer(t)
	a.Tokens["good"] = authv1.UserInfo{Username: "u"}
	cfg := a.Config
	// A CA bundle holding some other self-signed certificate: the stand-in's
	// certificate must then fail verification.
	cfg.CAFile = filepath.Join(t.TempDir(), "other.crt")
	if err := os.WriteFile(cfg.CAFile, selfSigned(t), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Review(context.Background(), "good"); !errors.Is(err, authn.ErrUnavailable) {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func selfSigned(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestNewMissingCA(t *testing.T) {
	cfg := config.Default().Kubernetes.TokenReview
	cfg.CAFile = filepath.Join(t.TempDir(), "nope")
	if _, err := New(cfg); err == nil {
		t.Fatal("New with a missing CA file succeeded")
	}
}
