// Package tokenreview authenticates Kubernetes service-account tokens with
// the API server's TokenReview API (authentication.k8s.io/v1): POST
// /apis/authentication.k8s.io/v1/tokenreviews with the token in
// spec.token, authenticated with the pod's own service-account token, over
// TLS verified against the in-cluster CA.
package tokenreview

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// Path is the TokenReview collection path.
const Path = "/apis/authentication.k8s.io/v1/tokenreviews"

// tokenReread is how long the pod's own token is reused before re-reading:
// projected service-account tokens rotate on disk.
const tokenReread = time.Minute

// Client calls TokenReview.
type Client struct {
	url       string
	tokenFile string
	audiences []string
	http      *http.Client

	mu     sync.Mutex
	token  string
	readAt time.Time
}

// New reads the CA bundle and builds a Client.
func New(c config.TokenReview) (*Client, error) {
	pemBytes, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tokenReview: reading caFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("tokenReview: caFile %s holds no PEM certificate", c.CAFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = 32
	return &Client{
		url:       strings.TrimSuffix(c.APIServer, "/") + Path,
		tokenFile: c.TokenFile,
		audiences: c.Audiences,
		http:      &http.Client{Transport: tr, Timeout: c.Timeout.Duration},
	}, nil
}

func (c *Client) ownToken() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Since(c.readAt) < tokenReread {
		return c.token, nil
	}
	b, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return "", err
	}
	c.token, c.readAt = strings.TrimSpace(string(b)), time.Now()
	return c.token, nil
}

// Review asks the API server about token. The returned identity has no
// Expiry; the caller bounds caching by the token's exp.
func (c *Client) Review(ctx context.Context, token string) (authn.Identity, error) {
	own, err := c.ownToken()
	if err != nil {
		return authn.Identity{}, authn.Unavailable("reading service-account token")
	}
	body, err := json.Marshal(authv1.TokenReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview"},
		Spec:     authv1.TokenReviewSpec{Token: token, Audiences: c.audiences},
	})
	if err != nil {
		return authn.Identity{}, authn.Unavailable("encoding TokenReview")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return authn.Identity{}, authn.Unavailable("building TokenReview request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+own)
	resp, err := c.http.Do(req)
	if err != nil {
		return authn.Identity{}, authn.Unavailable("API server unreachable")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return authn.Identity{}, authn.Unavailable("reading TokenReview response")
	}
	// The API server answers a create with 201 Created; 200 is accepted too.
	// 401/403 mean check-server's own credentials or RBAC are wrong: that is
	// an outage, not a verdict on the caller's token.
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusOK:
	case http.StatusForbidden:
		return authn.Identity{}, authn.Unavailable("TokenReview answered 403: check-server's ServiceAccount may not create tokenreviews; bind it to the ClusterRole system:auth-delegator (or one with create on authentication.k8s.io/tokenreviews)")
	case http.StatusUnauthorized:
		return authn.Identity{}, authn.Unavailable("TokenReview answered 401: the API server does not accept check-server's own token (kubernetes.tokenReview.tokenFile)")
	default:
		return authn.Identity{}, authn.Unavailable(fmt.Sprintf("TokenReview answered status %d", resp.StatusCode))
	}
	var out authv1.TokenReview
	if err := json.Unmarshal(data, &out); err != nil {
		return authn.Identity{}, authn.Unavailable("decoding TokenReview response")
	}
	st := out.Status
	if !st.Authenticated {
		return authn.Identity{}, authn.Invalid("TokenReview: not authenticated")
	}
	// With spec.audiences set, status.audiences lists those the token is
	// valid for; an empty intersection means not for us.
	if len(c.audiences) > 0 && !intersects(c.audiences, st.Audiences) {
		return authn.Identity{}, authn.Invalid("TokenReview: audience not accepted")
	}
	if st.User.Username == "" {
		return authn.Identity{}, authn.Invalid("TokenReview: no username")
	}
	return authn.Identity{User: st.User.Username, Groups: st.User.Groups, Method: "tokenreview"}, nil
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
