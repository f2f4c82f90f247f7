package generators

import (
	security "istio.io/api/security/v1beta1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/checkserver/pathmatch"
	"meshauth.dev/meshauth/fn/api"
)

// The public-path classifier: an RBAC filter with shadow rules only, first
// on the gateway, that marks a request whose path (as Envoy will forward it,
// after the mesh's path normalisation) is plain and under a public prefix.
// It never denies; the CUSTOM and DENY policies read its mark.
//
// Why not Istio's notPaths: "/static/*" matches "/static/..%2Fapp/",
// "/static/..;/app/" and "/static/..%5Capp/" too, which an upstream that
// decodes, drops ";params" or folds "\" serves as "/app/". Istio's path
// matches are prefix, suffix or exact; only a regex on the path can say
// "plain", and the rule is check-server's (checkserver/pathmatch), so the
// two authorizers open exactly the same requests, under every
// pathNormalization setting: the mesh config is left alone.
const (
	publicPathFilterName = "meshauth-public-paths"
	publicPathPolicy     = "meshauth-public-path"
	publicPathStatPrefix = "meshauth_public_"
)

// publicPathKey is the Istio condition on the classifier's mark: the
// shadow policy that matched, in the RBAC filter's dynamic metadata.
const publicPathKey = "experimental.envoy.filters.http.rbac[" + publicPathStatPrefix + "shadow_effective_policy_id]"

// oauth2ProxyNotPaths are oauth2-proxy's own routes, which the policies
// leave alone: the gateway routes them to oauth2-proxy whatever follows.
var oauth2ProxyNotPaths = []string{"/oauth2/*"}

// classifiesPublicPaths: the oauth2-proxy authorizer with public paths.
// check-server is asked about every path and applies pathmatch itself.
func classifiesPublicPaths(s api.Spec) bool {
	return s.Authorizer == api.AuthorizerOAuth2Proxy && len(s.PublicPaths) > 0
}

// publicPathFilter is the EnvoyFilter holding the classifier.
func publicPathFilter(s api.Spec) (*yaml.RNode, error) {
	return gatewayHTTPFilter(s, publicPathFilterName, map[string]any{
		"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
		"shadow_rules": map[string]any{
			"action": "ALLOW",
			"policies": map[string]any{publicPathPolicy: map[string]any{
				"permissions": []any{map[string]any{"url_path": map[string]any{"path": map[string]any{
					"safe_regex": map[string]any{"regex": pathmatch.Pattern(s.PublicPaths)},
				}}}},
				"principals": []any{map[string]any{"any": true}},
			}},
		},
		"shadow_rules_stat_prefix": publicPathStatPrefix,
	})
}

// notPublic holds for every request the classifier did not mark.
func notPublic(s api.Spec) []*security.Condition {
	if !classifiesPublicPaths(s) {
		return nil
	}
	return []*security.Condition{{Key: publicPathKey, NotValues: []string{publicPathPolicy}}}
}
