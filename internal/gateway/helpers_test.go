package gateway

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	router "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"meshauth.dev/meshauth/internal/testissuer"
)

// The hand-built xDS of these tests has the shape istiod gives a gateway:
// one listener on 8080, an HCM with RDS "http.8080", clusters named
// outbound|PORT||FQDN.
const (
	dashCluster  = "outbound|80||dashboard.kubeflow.svc.cluster.local"
	authzCluster = "outbound|80||authz.auth.svc.cluster.local"
)

func mustAny(t testing.TB, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func filter(t testing.TB, name string, m proto.Message) *hcm.HttpFilter {
	return &hcm.HttpFilter{Name: name, ConfigType: &hcm.HttpFilter_TypedConfig{TypedConfig: mustAny(t, m)}}
}

func routerFilter(t testing.TB) *hcm.HttpFilter {
	return filter(t, "envoy.filters.http.router", &router.Router{})
}

// xdsWith builds the listener around filters and a route configuration.
func xdsWith(t testing.TB, filters []*hcm.HttpFilter, vhosts ...*route.VirtualHost) *XDS {
	t.Helper()
	m := &hcm.HttpConnectionManager{
		StatPrefix: "outbound_0.0.0.0_8080", UseRemoteAddress: wrapperspb.Bool(true),
		NormalizePath: wrapperspb.Bool(true),
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{RouteConfigName: "http.8080",
			ConfigSource: &core.ConfigSource{ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}}}}},
		HttpFilters: append(filters, routerFilter(t)),
	}
	l := &listener.Listener{
		Name:    "0.0.0.0_8080",
		Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{Address: "0.0.0.0", PortSpecifier: &core.SocketAddress_PortValue{PortValue: 8080}}}},
		FilterChains: []*listener.FilterChain{{Filters: []*listener.Filter{{
			Name: "envoy.filters.network.http_connection_manager", ConfigType: &listener.Filter_TypedConfig{TypedConfig: mustAny(t, m)}}}}},
	}
	if len(vhosts) == 0 {
		vhosts = []*route.VirtualHost{{Name: "*:80", Domains: []string{"*"}, Routes: []*route.Route{routeTo("/", dashCluster)}}}
	}
	return &XDS{
		Listeners: []*listener.Listener{l},
		Routes:    []*route.RouteConfiguration{{Name: "http.8080", VirtualHosts: vhosts}},
		Clusters: []*cluster.Cluster{
			{Name: dashCluster, ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS}},
			{Name: authzCluster, ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS}},
		},
	}
}

func routeTo(prefix, c string) *route.Route {
	return &route.Route{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: prefix}},
		Action: &route.Route_Route{Route: &route.RouteAction{ClusterSpecifier: &route.RouteAction_Cluster{Cluster: c}}}}
}

func exact(s string) *matcher.StringMatcher {
	return &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: s}}
}

func prefix(s string) *matcher.StringMatcher {
	return &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Prefix{Prefix: s}}
}

// echo is an upstream answering with what it received.
type seen struct {
	Method, Path, Host string
	Header             http.Header
	Body               string
}

func echoServer(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(seen{r.Method, r.RequestURI, r.Host, r.Header, string(b)}) // the raw target
	}))
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

func handlerServer(t testing.TB, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

// serveGateway starts the gateway on a loopback listener.
func serveGateway(t testing.TB, x *XDS, clusters map[string]string) string {
	t.Helper()
	g, err := New(x, Options{Clusters: clusters, Log: t.Logf})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

type result struct {
	status int
	header http.Header
	body   string
	seen   *seen
}

func do(t testing.TB, method, u string, hdr map[string]string) result {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	for k, v := range hdr {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, body: string(b)}
	var s seen
	if resp.Header.Get("Content-Type") == "application/json" && json.Unmarshal(b, &s) == nil && s.Method != "" {
		r.seen = &s
	}
	return r
}

// signer issues RS256 tokens; jwks is its public key set.
type signer struct {
	testissuer.Key
	jwks string
}

func newSigner(t testing.TB, kid string) *signer {
	t.Helper()
	k := testissuer.NewKey(t, kid, jose.RS256)
	b, err := json.Marshal(testissuer.KeySet(k))
	if err != nil {
		t.Fatal(err)
	}
	return &signer{Key: k, jwks: string(b)}
}

// token signs claims, with iat and a 10-minute exp unless given.
func (s *signer) token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return testissuer.Sign(t, s.Key, testissuer.Fresh(10*time.Minute, claims), nil)
}
