package kubeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FieldManager is the server-side-apply manager of every test write.
const FieldManager = "meshauth-test"

// maxBody bounds what is read from one API response.
const maxBody = 16 << 20

// APIError is a non-2xx answer, with the Status object's message (which
// names the field and the rule for a validation failure).
type APIError struct {
	Code    int
	Reason  string
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message) }

// IsStatus says whether err is an APIError with that HTTP status.
func IsStatus(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// Do sends one request as admin (system:masters) and returns the body of
// a 2xx answer; any other answer is an *APIError.
func (s *Server) Do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	return s.do(ctx, s.admin, "", method, path, contentType, body)
}

// DoAs sends one request authenticated only by a bearer token (no client
// certificate); token "" is an anonymous request.
func (s *Server) DoAs(ctx context.Context, token, method, path string, body []byte) ([]byte, error) {
	c, err := s.client(false)
	if err != nil {
		return nil, err
	}
	return s.do(ctx, c, token, method, path, "application/json", body)
}

func (s *Server) do(ctx context.Context, c *http.Client, token, method, path, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	// jwk-set+json: the issuer's /openid/v1/jwks answers 406 without it.
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return data, nil
	}
	var st metav1.Status
	if json.Unmarshal(data, &st) != nil || st.Message == "" {
		st.Message = strings.TrimSpace(string(data))
	}
	return nil, &APIError{Code: resp.StatusCode, Reason: string(st.Reason), Message: st.Message}
}

// Create creates obj (any value that marshals to a Kubernetes object).
func (s *Server) Create(ctx context.Context, obj any) error {
	m, err := toMap(obj)
	if err != nil {
		return err
	}
	collection, _, err := s.path(ctx, m)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(m)
	_, err = s.Do(ctx, http.MethodPost, collection+"?fieldValidation=Strict", "application/json", body)
	return err
}

// Apply writes obj with server-side apply (as `kubectl apply --server-side
// --force-conflicts`), with strict field validation: an unknown or
// duplicate field is an error. With dryRun the server runs defaulting,
// schema and CEL validation and admission, and stores nothing.
func (s *Server) Apply(ctx context.Context, obj any, dryRun bool) error {
	m, err := toMap(obj)
	if err != nil {
		return err
	}
	_, item, err := s.path(ctx, m)
	if err != nil {
		return err
	}
	q := url.Values{"fieldManager": {FieldManager}, "fieldValidation": {"Strict"}, "force": {"true"}}
	if dryRun {
		q.Set("dryRun", "All")
	}
	body, _ := json.Marshal(m)
	_, err = s.Do(ctx, http.MethodPatch, item+"?"+q.Encode(), "application/apply-patch+yaml", body)
	return err
}

// Delete deletes one object; a missing one is not an error.
func (s *Server) Delete(ctx context.Context, apiVersion, kind, namespace, name string) error {
	m := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": namespace}}
	_, item, err := s.path(ctx, m)
	if err != nil {
		return err
	}
	if _, err = s.Do(ctx, http.MethodDelete, item, "", nil); IsStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// EnsureNamespace creates a namespace unless it exists.
func (s *Server) EnsureNamespace(ctx context.Context, name string) error {
	err := s.Create(ctx, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}})
	if IsStatus(err, http.StatusConflict) {
		return nil
	}
	return err
}

// TokenRequest issues a token for a ServiceAccount through the TokenRequest
// API, as the kubelet does for a projected volume.
func (s *Server) TokenRequest(ctx context.Context, namespace, sa string, audiences []string, seconds int64) (string, error) {
	body, _ := json.Marshal(authnv1.TokenRequest{
		TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenRequest"},
		Spec:     authnv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &seconds},
	})
	data, err := s.Do(ctx, http.MethodPost, "/api/v1/namespaces/"+namespace+"/serviceaccounts/"+sa+"/token", "application/json", body)
	if err != nil {
		return "", fmt.Errorf("TokenRequest for %s/%s: %w", namespace, sa, err)
	}
	var tr authnv1.TokenRequest
	if err := json.Unmarshal(data, &tr); err != nil || tr.Status.Token == "" {
		return "", fmt.Errorf("TokenRequest for %s/%s: no token in %.200s", namespace, sa, data)
	}
	return tr.Status.Token, nil
}

func toMap(obj any) (map[string]any, error) {
	if m, ok := obj.(map[string]any); ok {
		return m, nil
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}
