package gateway

import (
	"context"
	"fmt"

	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Type URLs of the filter configs.
const (
	typeRBAC           = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
	typeRBACPerRoute   = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute"
	typeExtAuthz       = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"
	typeExtAuthzRoute  = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"
	typeJWT            = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
	typeHeaderMutation = "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
	typeHeaderMutRoute = "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute"
	typeRouter         = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
)

// noopFilters are filters istiod adds to every gateway that cannot change
// what a request gets here, by type URL, with the reason.
var noopFilters = map[string]string{
	// Peer metadata exchange (a TypedStruct of io.istio.http.peer_metadata):
	// telemetry headers between Istio proxies; the e2e's upstreams have none.
	"type.googleapis.com/udpa.type.v1.TypedStruct": "istio.metadata_exchange",
	// Istio's stats plugin: metrics only.
	"type.googleapis.com/stats.PluginConfig": "istio.stats",
	// ALPN override for mTLS upstream connections; loopback upstreams are plaintext.
	"type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig": "istio.alpn",
	// gRPC statistics only.
	"type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig": "envoy.filters.http.grpc_stats",
	// Fault injection and CORS act only through a per-route/virtual host
	// policy, which compileRoutes refuses.
	"type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault": "envoy.filters.http.fault",
	"type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors":       "envoy.filters.http.cors",
}

func (g *Gateway) compileFilter(where string, f *hcm.HttpFilter, last bool) (httpFilter, []error) {
	errs := unimplemented(where, f, fieldRules{"name": "", "typed_config": ""})
	tc := f.GetTypedConfig()
	if tc == nil {
		return nil, append(errs, fmt.Errorf("%s: no typed_config (config discovery is not implemented)", where))
	}
	msg, err := tc.UnmarshalNew()
	if err != nil {
		return nil, append(errs, fmt.Errorf("%s: %w", where, err))
	}
	if tc.GetTypeUrl() == typeRouter {
		if !last {
			errs = append(errs, fmt.Errorf("%s: the router must be the last filter", where))
		}
		return nil, append(errs, unimplemented(where, msg, fieldRules{
			"suppress_envoy_headers": "", "start_child_span": observability,
		})...)
	}
	if last {
		errs = append(errs, fmt.Errorf("%s: the last HTTP filter is not the router", where))
	}
	switch tc.GetTypeUrl() {
	case typeRBAC:
		h, e := compileRBAC(where, f.GetName(), msg.(rbacConfig))
		return h, append(errs, e...)
	case typeExtAuthz:
		h, e := g.compileExtAuthz(where, f.GetName(), msg.(extAuthzConfig))
		return h, append(errs, e...)
	case typeJWT:
		h, e := g.compileJWT(where, f.GetName(), msg.(jwtConfig))
		return h, append(errs, e...)
	case typeHeaderMutation:
		h, e := compileHeaderMutation(where, f.GetName(), msg.(headerMutationConfig))
		return h, append(errs, e...)
	}
	if name, ok := noopFilters[tc.GetTypeUrl()]; ok {
		if name != f.GetName() && !(name == "istio.metadata_exchange" && f.GetName() == "istio.metadata_exchange") {
			errs = append(errs, fmt.Errorf("%s: config %s is accepted only as filter %q", where, tc.GetTypeUrl(), name))
		}
		return noop{}, errs
	}
	return nil, append(errs, fmt.Errorf("%s: filter config %s is not implemented by internal/gateway", where, tc.GetTypeUrl()))
}

type noop struct{}

func (noop) decode(context.Context, *stream) *reply { return nil }

// perRoute returns the most specific typed_per_filter_config for a filter
// name on the stream's route (route, then virtual host), decoded.
func (s *stream) perRoute(filter string) proto.Message {
	if s.route != nil {
		if m, ok := s.route.perFilter[filter]; ok {
			return m
		}
	}
	if s.vhost != nil {
		if m, ok := s.vhost.perFilter[filter]; ok {
			return m
		}
	}
	return nil
}

// decodePerFilter decodes a typed_per_filter_config map, refusing filters
// whose per-route config is not implemented.
func decodePerFilter(where string, m map[string]*anypb.Any, filters map[string]bool) (map[string]proto.Message, []error) {
	var errs []error
	out := map[string]proto.Message{}
	for name, a := range m {
		msg, err := a.UnmarshalNew()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s typed_per_filter_config[%s]: %w", where, name, err))
			continue
		}
		switch a.GetTypeUrl() {
		case typeExtAuthzRoute:
		default:
			errs = append(errs, fmt.Errorf("%s typed_per_filter_config[%s]: %s is not implemented", where, name, a.GetTypeUrl()))
			continue
		}
		if !filters[name] {
			errs = append(errs, fmt.Errorf("%s typed_per_filter_config[%s]: no such HTTP filter on the listener", where, name))
		}
		out[name] = msg
	}
	return out, errs
}
