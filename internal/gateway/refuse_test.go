package gateway

import (
	"context"
	"net"
	"strings"
	"testing"

	mutation "github.com/envoyproxy/go-control-plane/envoy/config/common/mutation_rules/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacpb "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	buffer "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	extauthz "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	hmpb "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
	rbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// New refuses what it does not implement, naming it; every problem at once.
func TestRefusesUnimplemented(t *testing.T) {
	authenticated := filter(t, "envoy.filters.http.rbac", &rbac.RBAC{Rules: &rbacpb.RBAC{Action: rbacpb.RBAC_ALLOW, Policies: map[string]*rbacpb.Policy{
		"p": {Permissions: []*rbacpb.Permission{{Rule: &rbacpb.Permission_Any{Any: true}}},
			Principals: []*rbacpb.Principal{{Identifier: &rbacpb.Principal_Authenticated_{Authenticated: &rbacpb.Principal_Authenticated{}}}}}}}})
	x := xdsWith(t, []*hcm.HttpFilter{
		filter(t, "envoy.filters.http.buffer", &buffer.Buffer{MaxRequestBytes: wrapperspb.UInt32(10)}),
		authenticated,
	})
	m := &hcm.HttpConnectionManager{}
	x.Listeners[0].FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(m)
	m.AddUserAgent = wrapperspb.Bool(true)
	x.Listeners[0].FilterChains[0].Filters[0].GetTypedConfig().MarshalFrom(m)
	x.Routes[0].VirtualHosts[0].Routes[0].Match.QueryParameters = []*route.QueryParameterMatcher{{Name: "q"}}
	_, err := New(x, Options{})
	if err == nil {
		t.Fatal("New accepted configuration it does not implement")
	}
	for _, want := range []string{"envoy.extensions.filters.http.buffer.v3.Buffer is not implemented", "Principal_Authenticated_",
		"add_user_agent", "query_parameters"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q:\n%v", want, err)
		}
	}
}

func TestRefusesIstiodErrors(t *testing.T) {
	x := xdsWith(t, nil)
	x.Messages = []Message{{Severity: "error", Object: "AuthorizationPolicy istio-system/x", Message: "bad"}, {Severity: "warning", Object: "o", Message: "w"}}
	if _, err := New(x, Options{}); err == nil || !strings.Contains(err.Error(), "istio-system/x: bad") || strings.Contains(err.Error(), ": w") {
		t.Errorf("New with istiod messages: %v", err)
	}
}

func TestHeaderMutationRemovesIdentityHeaders(t *testing.T) {
	re := &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: `x[-_]auth[-_]request[-_].*|gap[-_]auth`}}}
	hm := filter(t, "envoy.filters.http.header_mutation", &hmpb.HeaderMutation{Mutations: &hmpb.Mutations{RequestMutations: []*mutation.HeaderMutation{
		{Action: &mutation.HeaderMutation_RemoveOnMatch_{RemoveOnMatch: &mutation.HeaderMutation_RemoveOnMatch{KeyMatcher: re}}},
		{Action: &mutation.HeaderMutation_Remove{Remove: "x-forwarded-email"}},
	}}})
	gw := serveGateway(t, xdsWith(t, []*hcm.HttpFilter{hm}), map[string]string{dashCluster: echoServer(t)})
	r := do(t, "GET", gw+"/", map[string]string{"X-Auth-Request-Email": "a", "x_auth_request_groups": "g", "Gap-Auth": "x", "X-Forwarded-Email": "e", "X-Other": "o"})
	h := r.seen.Header
	for _, n := range []string{"X-Auth-Request-Email", "X_auth_request_groups", "Gap-Auth", "X-Forwarded-Email"} {
		if len(h.Values(n)) > 0 {
			t.Errorf("%s reached the upstream: %q", n, h.Values(n))
		}
	}
	if h.Get("X-Other") != "o" {
		t.Errorf("X-Other was removed")
	}
}

type authzGRPC struct {
	authv3.UnimplementedAuthorizationServer
	last *authv3.CheckRequest
}

func (a *authzGRPC) Check(_ context.Context, r *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	a.last = r
	if r.GetAttributes().GetRequest().GetHttp().GetHeaders()["cookie"] != "session=ok" {
		return &authv3.CheckResponse{Status: &rpcstatus.Status{Code: 7}, HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Headers: []*core.HeaderValueOption{{Header: &core.HeaderValue{Key: "location", Value: "/oauth2/start"}}}, Body: "no"}}}, nil
	}
	return &authv3.CheckResponse{Status: &rpcstatus.Status{}, HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
		Headers:         []*core.HeaderValueOption{{Header: &core.HeaderValue{Key: "kubeflow-userid", Value: "alice"}, AppendAction: core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}},
		HeadersToRemove: []string{"x-auth-request-email"}}}}, nil
}

func TestExtAuthzGRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	a := &authzGRPC{}
	authv3.RegisterAuthorizationServer(srv, a)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	f := filter(t, "envoy.filters.http.ext_authz", &extauthz.ExtAuthz{TransportApiVersion: core.ApiVersion_V3,
		Services: &extauthz.ExtAuthz_GrpcService{GrpcService: &core.GrpcService{
			TargetSpecifier: &core.GrpcService_EnvoyGrpc_{EnvoyGrpc: &core.GrpcService_EnvoyGrpc{ClusterName: authzCluster, Authority: "authz.auth.svc.cluster.local"}},
			Timeout:         durationpb.New(2e9)}}})
	gw := serveGateway(t, xdsWith(t, []*hcm.HttpFilter{f}), map[string]string{dashCluster: echoServer(t), authzCluster: l.Addr().String()})
	r := do(t, "GET", gw+"/x?y=1", map[string]string{"Cookie": "session=ok", "kubeflow-userid": "evil", "X-Auth-Request-Email": "evil"})
	if r.status != 200 || r.seen.Header.Values("Kubeflow-Userid")[0] != "alice" || len(r.seen.Header.Values("Kubeflow-Userid")) != 1 || r.seen.Header.Get("X-Auth-Request-Email") != "" {
		t.Errorf("gRPC allow = %d %+v", r.status, r.seen)
	}
	if h := a.last.GetAttributes().GetRequest().GetHttp(); h.GetPath() != "/x?y=1" || h.GetHeaders()[":method"] != "GET" || h.GetHeaders()["kubeflow-userid"] != "evil" {
		t.Errorf("check request %v", h)
	}
	if r := do(t, "GET", gw+"/x", nil); r.status != 403 || r.header.Get("Location") != "/oauth2/start" || r.body != "no" {
		t.Errorf("gRPC deny = %d %v %q", r.status, r.header, r.body)
	}
}
