package generators

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// identityHeaderFilterName is the EnvoyFilter, and the name of the HTTP
// filter it inserts.
const identityHeaderFilterName = "meshauth-identity-headers"

// wellKnownIdentityHeaders are the headers that name a user to some
// upstream: oauth2-proxy's (set_xauthrequest, pass_user_headers, Gap-Auth),
// in every spelling an upstream might fold to them.
var wellKnownIdentityHeaders = []string{
	"x-auth-request-user", "x-auth-request-email", "x-auth-request-groups", "x-auth-request-preferred-username", "x-auth-request-access-token",
	"x-forwarded-user", "x-forwarded-email", "x-forwarded-groups", "x-forwarded-preferred-username", "x-forwarded-access-token",
	"gap-auth",
	// Not identity, but a path some frameworks route on instead of the
	// request line's: a client must not choose it behind the checks.
	"x-original-url", "x-rewrite-url",
	// What jwt_authn copies for the DENY rule (generators/istio.go).
	emailVerifiedClaimHeader,
}

// identityHeaderFilter removes every identity-named header a client sends,
// first thing on the gateway, on every route and in both authorizer modes:
// before the CUSTOM check and jwt_authn, so what reaches an upstream under
// such a name was set by the authorizer or by jwt_authn, never by the client
// (Envoy passes a header neither of them sets through untouched).
func identityHeaderFilter(s api.Spec) (*yaml.RNode, error) {
	return gatewayHTTPFilter(s, identityHeaderFilterName, map[string]any{
		"@type": "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
		"mutations": map[string]any{"request_mutations": []any{map[string]any{
			"remove_on_match": map[string]any{"key_matcher": map[string]any{"safe_regex": map[string]any{
				"regex": identityHeaderRegex(s.IdentityHeaders.User.Header, s.IdentityHeaders.Groups.Header),
			}}},
		}}},
	})
}

// gatewayHTTPFilter is an EnvoyFilter (of the same name) that puts an HTTP
// filter first in the gateway's connection manager: before the CUSTOM
// check, jwt_authn and the RBAC filters, on every route.
func gatewayHTTPFilter(s api.Spec, name string, typedConfig map[string]any) (*yaml.RNode, error) {
	return gatewayHTTPFilters(s, name, httpFilter{name, typedConfig})
}

// httpFilter is an HTTP filter's name and typed config.
type httpFilter struct {
	name        string
	typedConfig map[string]any
}

// gatewayHTTPFilters is an EnvoyFilter that puts each filter first in the
// gateway's connection manager (in turn, so the last ends up first).
func gatewayHTTPFilters(s api.Spec, name string, filters ...httpFilter) (*yaml.RNode, error) {
	var patches []*networking.EnvoyFilter_EnvoyConfigObjectPatch
	for _, f := range filters {
		value, err := structpb.NewStruct(map[string]any{"name": f.name, "typed_config": f.typedConfig})
		if err != nil {
			return nil, err
		}
		patches = append(patches, &networking.EnvoyFilter_EnvoyConfigObjectPatch{
			ApplyTo: networking.EnvoyFilter_HTTP_FILTER,
			Match: &networking.EnvoyFilter_EnvoyConfigObjectMatch{
				Context: networking.EnvoyFilter_GATEWAY,
				ObjectTypes: &networking.EnvoyFilter_EnvoyConfigObjectMatch_Listener{Listener: &networking.EnvoyFilter_ListenerMatch{
					FilterChain: &networking.EnvoyFilter_ListenerMatch_FilterChainMatch{
						Filter: &networking.EnvoyFilter_ListenerMatch_FilterMatch{Name: "envoy.filters.network.http_connection_manager"},
					},
				}},
			},
			Patch: &networking.EnvoyFilter_Patch{Operation: networking.EnvoyFilter_Patch_INSERT_FIRST, Value: value},
		})
	}
	return istioObject("networking.istio.io/v1alpha3", "EnvoyFilter", s.Gateway.Namespace, name, &networking.EnvoyFilter{
		WorkloadSelector: &networking.WorkloadSelector{Labels: s.Gateway.Selector},
		ConfigPatches:    patches,
	})
}

// identityHeaderRegex matches (as Envoy's safe_regex: the whole lower-case
// name) the well-known identity headers and the configured ones, with "-"
// and "_" interchangeable.
func identityHeaderRegex(configured ...string) string {
	set := map[string]bool{}
	for _, n := range append(slices.Clone(wellKnownIdentityHeaders), configured...) {
		if n != "" {
			set[strings.ToLower(n)] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, strings.NewReplacer("-", "[-_]", "_", "[-_]").Replace(regexp.QuoteMeta(n)))
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}
