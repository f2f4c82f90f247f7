package generators

import (
	"slices"

	security "istio.io/api/security/v1beta1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/checkserver/access"
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
const publicPathFilterName = "meshauth-public-paths"

// publicPathMark is the classifier's mark, which the CUSTOM and DENY
// policies read.
var publicPathMark = mark{statPrefix: "meshauth_public_", policy: "meshauth-public-path"}

// oauth2ProxyNotPaths are oauth2-proxy's own routes, which the policies
// leave alone: the gateway routes them to oauth2-proxy whatever follows.
var oauth2ProxyNotPaths = []string{"/oauth2/*"}

// classifiesPublicPaths: the oauth2-proxy authorizer with public paths or
// public access rules. check-server is asked about every path and decides
// the same (checkserver/access) itself.
func classifiesPublicPaths(s api.Spec) bool {
	return s.Authorizer == api.AuthorizerOAuth2Proxy &&
		(len(s.PublicPaths) > 0 || slices.ContainsFunc(s.Access.Rules, func(r api.AccessRule) bool { return r.Public }))
}

// publicPathFilter is the EnvoyFilter holding the classifier: a plain path
// under a public prefix, on a public rule's hosts, that no earlier rule
// protecting more may reach (access.Compile).
func publicPathFilter(s api.Spec, c access.Compiled) (*yaml.RNode, error) {
	var perms []any
	for _, m := range c.Public {
		perms = append(perms, permission(m))
	}
	if len(perms) > 1 {
		perms = []any{map[string]any{"or_rules": map[string]any{"rules": perms}}}
	}
	f := shadowClassifier(publicPathFilterName, publicPathMark, perms[0].(map[string]any))
	return gatewayHTTPFilter(s, f.name, f.typedConfig)
}

// notPublic holds for every request the classifier did not mark.
func notPublic(s api.Spec) []*security.Condition {
	if !classifiesPublicPaths(s) {
		return nil
	}
	return []*security.Condition{publicPathMark.unset()}
}
