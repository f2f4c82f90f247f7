package tokenreview

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authv1 "k8s.io/api/authentication/v1"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/checkserver/internal/testapiserver"
)

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
			a := testapiserver.Start(t)
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
	a := testapiserver.Start(t)
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
