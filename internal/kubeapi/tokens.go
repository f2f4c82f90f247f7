package kubeapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Resign changes the claims of a token the server issued and signs it
// again with the server's own service-account key and key id: the way to
// get a token of this issuer that TokenRequest will not make (an expired
// one: TokenRequest's shortest lifetime is 10 minutes).
func (s *Server) Resign(token string, mutate func(claims map[string]any)) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", err
	}
	mutate(claims)
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := parts[0] + "." + base64.RawURLEncoding.EncodeToString(b)
	d := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.pki.saSigner, crypto.SHA256, d[:])
	if err != nil {
		return "", err
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Claims decodes a token's payload (without verifying it).
func Claims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	return claims, json.Unmarshal(payload, &claims)
}

// WriteKubeconfig writes a kubeconfig for the server that authenticates
// with token (kubectl, or any client-go program).
func (s *Server) WriteKubeconfig(path, token string) error {
	cfg := map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "kubeapi",
		"clusters": []any{map[string]any{"name": "kubeapi", "cluster": map[string]any{"server": s.URL, "certificate-authority": s.CAFile}}},
		"users":    []any{map[string]any{"name": "user", "user": map[string]any{"token": token}}},
		"contexts": []any{map[string]any{"name": "kubeapi", "context": map[string]any{"cluster": "kubeapi", "user": "user"}}},
	}
	b, err := json.Marshal(cfg) // JSON is YAML
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
