// Package testapiserver is a stand-in for kube-apiserver's TokenReview
// endpoint on 127.0.0.1, following the authentication.k8s.io/v1 REST
// protocol exactly: POST application/json TokenReview to
// /apis/authentication.k8s.io/v1/tokenreviews with the caller's bearer
// token, answered 201 Created with the object and its status filled in.
//
// The real kube-apiserver (internal/kubeapi) judges real tokens in
// checkserver/realapi: audiences, expiry, deleted ServiceAccounts, RBAC on
// check-server's own account. This stand-in stays for what a lone API
// server cannot be made to do on demand — answer 5xx, count calls — and for
// the fast unit tests of the decision logic, which run without the binaries.
package testapiserver

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"

	"meshauth.dev/meshauth/checkserver/config"
)

const path = "/apis/authentication.k8s.io/v1/tokenreviews"

// APIServer is a stand-in for kube-apiserver on 127.0.0.1 that follows the
// TokenReview REST protocol: POST application/json TokenReview to
// /apis/authentication.k8s.io/v1/tokenreviews, authenticated with a bearer
// token, answered with 201 Created and the same object with status filled.
type APIServer struct {
	Config config.TokenReview
	Calls  atomic.Int64
	// Tokens maps a reviewed token to the user it authenticates as.
	Tokens map[string]authv1.UserInfo
	mu     sync.Mutex
	// TokenAudiences, when set, are the audiences every token is valid for.
	TokenAudiences []string
	// Status, when non-zero, is returned instead of a review.
	Status int
	// Hold, when set before the first call, makes every review wait until
	// it is closed; InFlight counts the waiting ones.
	Hold     chan struct{}
	InFlight atomic.Int64
}

// Start starts the stand-in and writes its CA and the caller's token.
func Start(t testing.TB) *APIServer {
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
	if a.Hold != nil {
		a.InFlight.Add(1)
		<-a.Hold
		a.InFlight.Add(-1)
	}
	if r.Method != http.MethodPost || r.URL.Path != path || r.Header.Get("Content-Type") != "application/json" {
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
	a.mu.Lock()
	u, ok := a.Tokens[tr.Spec.Token]
	a.mu.Unlock()
	if ok {
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

// Allow makes token authenticate as u.
func (a *APIServer) Allow(token string, u authv1.UserInfo) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Tokens[token] = u
}
