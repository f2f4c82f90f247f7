package kubeapi

import (
	"encoding/json"
	"os"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/internal/testissuer"
)

// Resign changes the claims of a token the server issued and signs it
// again with the server's own service-account key, its header (key id)
// kept: the way to get a token of this issuer that TokenRequest will not
// make (an expired one: TokenRequest's shortest lifetime is 10 minutes).
func (s *Server) Resign(token string, mutate func(claims map[string]any)) (string, error) {
	return testissuer.Resign(token, testissuer.Key{Alg: jose.RS256, Priv: s.pki.saSigner}, mutate)
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
