package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// Options are what the caller provides besides the xDS.
type Options struct {
	// Clusters maps an xDS cluster name (Istio's "outbound|PORT||FQDN") to
	// the 127.0.0.1 address serving it: the stand-in for cluster DNS and
	// endpoint discovery. A route or filter naming a cluster the map does
	// not hold answers 503 (Envoy's "no healthy upstream"), as Envoy does
	// for a cluster without endpoints.
	Clusters map[string]string
	// Port selects the listener (its socket address port, the gateway's
	// container port). 0 = the only listener with an HTTP connection manager.
	Port uint32
	// Log receives one line per decision (filter verdicts, routing).
	Log func(format string, args ...any)
	// Now is the clock for JWT time checks (default time.Now).
	Now func() time.Time
	// MaxBody bounds a buffered request body (default 1 MiB).
	MaxBody int64
}

// Gateway serves HTTP the way the configured Envoy listener would.
type Gateway struct {
	opts     Options
	hcm      *hcm.HttpConnectionManager
	filters  []httpFilter
	routes   *routeTable
	clusters map[string]*upstream
	pathNorm pathNormalization
	client   *http.Client
}

// httpFilter is one HTTP filter of the connection manager's chain.
type httpFilter interface {
	// decode runs on the request headers (and buffered body); a non-nil
	// reply ends the stream with that local reply.
	decode(ctx context.Context, s *stream) *reply
}

// reply is a response the gateway generates itself.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// stream is one request moving through the filters.
type stream struct {
	g         *Gateway
	method    string
	path      string // :path, with the query
	authority string
	scheme    string
	header    http.Header
	body      []byte
	remote    string // downstream remote IP
	local     string // the listener's address the request came in on
	meta      metadata
	route     *compiledRoute
	vhost     *compiledVHost
	// respHeader is added to the response sent to the client (ext_authz
	// allowed_client_headers_on_success).
	respHeader http.Header
	log        func(format string, args ...any)
}

// New builds the gateway from istiod's xDS, or returns every reason it
// cannot implement it faithfully.
func New(x *XDS, o Options) (*Gateway, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	var errs []error
	for _, m := range x.Messages {
		if m.Severity == "error" {
			errs = append(errs, fmt.Errorf("istiod: %s: %s", m.Object, m.Message))
		}
	}
	g := &Gateway{opts: o, clusters: map[string]*upstream{}, client: &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	for _, c := range x.Clusters {
		u, cerrs := compileCluster(c, o.Clusters)
		errs = append(errs, cerrs...)
		g.clusters[c.GetName()] = u
	}
	l, m, lerrs := pickListener(x.Listeners, o.Port)
	errs = append(errs, lerrs...)
	if m == nil {
		return nil, errors.Join(errs...)
	}
	g.hcm = m
	where := "listener " + l.GetName() + " http_connection_manager"
	errs = append(errs, unimplemented(where, m, hcmRules)...)
	g.pathNorm = pathNormalization{
		normalize:     m.GetNormalizePath().GetValue(),
		mergeSlashes:  m.GetMergeSlashes(),
		escapedAction: m.GetPathWithEscapedSlashesAction(),
	}
	var rc *route.RouteConfiguration
	switch rs := m.GetRouteSpecifier().(type) {
	case *hcm.HttpConnectionManager_Rds:
		name := rs.Rds.GetRouteConfigName()
		for _, r := range x.Routes {
			if r.GetName() == name {
				rc = r
			}
		}
		if rc == nil {
			errs = append(errs, fmt.Errorf("%s: rds route_config_name %q is not among the routes istiod generated", where, name))
		}
	case *hcm.HttpConnectionManager_RouteConfig:
		rc = rs.RouteConfig
	default:
		errs = append(errs, fmt.Errorf("%s: route specifier %T is not implemented", where, rs))
	}
	names := map[string]bool{}
	for i, f := range m.GetHttpFilters() {
		fw := fmt.Sprintf("%s.http_filters[%d] %s", where, i, f.GetName())
		names[f.GetName()] = true
		hf, ferrs := g.compileFilter(fw, f, i == len(m.GetHttpFilters())-1)
		errs = append(errs, ferrs...)
		if hf != nil {
			g.filters = append(g.filters, hf)
		}
	}
	if rc != nil {
		rt, rerrs := compileRoutes(rc, g, names)
		errs = append(errs, rerrs...)
		g.routes = rt
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// pickListener finds the listener for port and its HTTP connection manager.
func pickListener(ls []*listener.Listener, port uint32) (*listener.Listener, *hcm.HttpConnectionManager, []error) {
	var found []*listener.Listener
	for _, l := range ls {
		if port == 0 || l.GetAddress().GetSocketAddress().GetPortValue() == port {
			found = append(found, l)
		}
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.GetName())
	}
	if len(found) != 1 {
		return nil, nil, []error{fmt.Errorf("istiod generated %d listeners for port %d (listeners: %v), want exactly one", len(found), port, names)}
	}
	l := found[0]
	where := "listener " + l.GetName()
	errs := unimplemented(where, l, fieldRules{
		"name": "", "address": "", "filter_chains": "",
		"traffic_direction":                          "informational",
		"listener_filters":                           "", // checked below
		"listener_filters_timeout":                   connection,
		"continue_on_listener_filters_timeout":       connection,
		"per_connection_buffer_limit_bytes":          connection,
		"max_connections_to_accept_per_socket_event": connection,
		"access_log":                                 observability,
		"stat_prefix":                                observability,
	})
	for _, lf := range l.GetListenerFilters() {
		// The TLS and HTTP inspectors only pick a filter chain by protocol
		// detection; with one plaintext chain they change nothing.
		switch lf.GetName() {
		case "envoy.filters.listener.tls_inspector", "envoy.filters.listener.http_inspector":
		default:
			errs = append(errs, fmt.Errorf("%s: listener filter %q is not implemented", where, lf.GetName()))
		}
	}
	if len(l.GetFilterChains()) != 1 {
		return l, nil, append(errs, fmt.Errorf("%s: %d filter chains, want one (filter chain matching and TLS are not implemented; TLS is terminated by the caller's listener)", where, len(l.GetFilterChains())))
	}
	fc := l.GetFilterChains()[0]
	errs = append(errs, unimplemented(where+" filter_chains[0]", fc, fieldRules{"filters": "", "name": "informational", "filter_chain_match": "", "transport_socket_connect_timeout": connection})...)
	if fcm := fc.GetFilterChainMatch(); fcm != nil {
		errs = append(errs, unimplemented(where+" filter_chain_match", fcm, fieldRules{})...)
	}
	var m *hcm.HttpConnectionManager
	for i, f := range fc.GetFilters() {
		if f.GetName() != "envoy.filters.network.http_connection_manager" {
			errs = append(errs, fmt.Errorf("%s: network filter %d %q is not implemented (only the HTTP connection manager)", where, i, f.GetName()))
			continue
		}
		m = &hcm.HttpConnectionManager{}
		if err := f.GetTypedConfig().UnmarshalTo(m); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			m = nil
		}
	}
	if m == nil {
		errs = append(errs, fmt.Errorf("%s: no HTTP connection manager", where))
	}
	return l, m, errs
}

// hcmRules: the HTTP connection manager fields.
var hcmRules = fieldRules{
	"codec_type":                           "", // AUTO; net/http speaks HTTP/1.1 (and h2 over TLS)
	"stat_prefix":                          observability,
	"rds":                                  "",
	"route_config":                         "",
	"http_filters":                         "",
	"use_remote_address":                   "",
	"xff_num_trusted_hops":                 "",
	"normalize_path":                       "",
	"merge_slashes":                        "",
	"path_with_escaped_slashes_action":     "",
	"access_log":                           observability,
	"tracing":                              observability,
	"generate_request_id":                  "",
	"request_id_extension":                 observability,
	"preserve_external_request_id":         observability,
	"server_name":                          "",
	"stream_idle_timeout":                  connection,
	"common_http_protocol_options":         connection,
	"http_protocol_options":                connection,
	"http2_protocol_options":               connection,
	"upgrade_configs":                      "WebSocket upgrades: requests are proxied as plain HTTP/1.1 (no e2e flow upgrades)",
	"forward_client_cert_details":          "no client certificates on the gateway's plaintext listener",
	"set_current_client_cert_details":      "no client certificates on the gateway's plaintext listener",
	"internal_address_config":              "which remote addresses are internal: the e2e's clients are all external",
	"proxy_100_continue":                   connection,
	"delayed_close_timeout":                connection,
	"request_timeout":                      connection,
	"max_request_headers_kb":               connection,
	"stream_error_on_invalid_http_message": connection,
	"always_set_request_id_in_response":    observability,
}

// ServeHTTP runs the request through the filter chain and the router.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := &stream{g: g, method: r.Method, path: requestTarget(r), authority: r.Host, scheme: "http",
		header: r.Header.Clone(), meta: metadata{}, respHeader: http.Header{}}
	if r.TLS != nil {
		s.scheme = "https"
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		s.remote = ip
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		s.local = a.String()
	}
	s.log = func(format string, args ...any) {
		g.opts.Log("%s %s: "+format, append([]any{r.Method, r.RequestURI}, args...)...)
	}
	// The client's own Host header is the :authority; net/http keeps it apart.
	s.header.Del("Host")
	if rep := g.prepare(s); rep != nil {
		s.send(w, rep)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.opts.MaxBody+1))
	if err != nil {
		s.send(w, &reply{status: http.StatusBadRequest, body: []byte("bad request body")})
		return
	}
	if int64(len(body)) > g.opts.MaxBody {
		s.send(w, &reply{status: http.StatusRequestEntityTooLarge, body: []byte("Payload Too Large")})
		return
	}
	s.body = body
	// The route is chosen once, on the request as it arrived (after the
	// connection manager's path normalization): the first filter asking
	// Envoy for the route caches it, and none of the filters here clears
	// the route cache.
	s.vhost, s.route = g.routes.match(s)
	for _, f := range g.filters {
		if rep := f.decode(r.Context(), s); rep != nil {
			s.send(w, rep)
			return
		}
	}
	g.router(w, r.Context(), s)
}

// prepare is the connection manager's request handling before the filters:
// path normalization, Envoy's edge headers.
func (g *Gateway) prepare(s *stream) *reply {
	p, redirect, rep := g.pathNorm.apply(s.path)
	if rep != nil {
		return rep
	}
	if redirect {
		return &reply{status: http.StatusTemporaryRedirect, header: http.Header{"Location": {p}}}
	}
	s.path = p
	if g.hcm.GetUseRemoteAddress().GetValue() {
		// Edge proxy: the downstream address is appended to
		// X-Forwarded-For, X-Forwarded-Proto is the downstream scheme, and
		// Envoy's internal headers from an external client are removed.
		if s.header.Get("X-Forwarded-For") != "" && g.hcm.GetXffNumTrustedHops() == 0 {
			s.header.Set("X-Forwarded-For", s.header.Get("X-Forwarded-For")+","+s.remote)
		} else {
			s.header.Set("X-Forwarded-For", s.remote)
		}
		s.header.Set("X-Forwarded-Proto", s.scheme)
		s.header.Set("X-Envoy-External-Address", s.remote)
		if g.hcm.GetAppendXForwardedPort() && s.header.Get("X-Forwarded-Port") == "" {
			if _, port, err := net.SplitHostPort(s.local); err == nil {
				s.header.Set("X-Forwarded-Port", port)
			}
		}
		for k := range s.header {
			if strings.HasPrefix(strings.ToLower(k), "x-envoy-") && !strings.EqualFold(k, "X-Envoy-External-Address") {
				s.header.Del(k)
			}
		}
	} else if s.header.Get("X-Forwarded-Proto") == "" {
		s.header.Set("X-Forwarded-Proto", s.scheme)
	}
	if g.hcm.GetGenerateRequestId() == nil || g.hcm.GetGenerateRequestId().GetValue() {
		if s.header.Get("X-Request-Id") == "" || !g.hcm.GetPreserveExternalRequestId() {
			s.header.Set("X-Request-Id", requestID())
		}
	}
	return nil
}

// send writes a local reply (Envoy adds content-type text/plain to a body).
func (s *stream) send(w http.ResponseWriter, r *reply) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	for k, v := range s.respHeader {
		w.Header()[k] = append(w.Header()[k], v...)
	}
	if len(r.body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain")
	}
	s.serverHeader(w.Header())
	w.WriteHeader(r.status)
	w.Write(r.body)
}

func (s *stream) serverHeader(h http.Header) {
	if n := s.g.hcm.GetServerName(); n != "" {
		h.Set("Server", n)
	} else {
		h.Set("Server", "envoy")
	}
}

// compileCluster checks a cluster istiod generated and binds it to the
// registry address.
func compileCluster(c *cluster.Cluster, reg map[string]string) (*upstream, []error) {
	where := "cluster " + c.GetName()
	errs := unimplemented(where, c, fieldRules{
		"name":                              "",
		"type":                              "", // EDS/STRICT_DNS/STATIC/ORIGINAL_DST: endpoints come from the registry
		"eds_cluster_config":                "endpoints come from the registry",
		"load_assignment":                   "endpoints come from the registry",
		"connect_timeout":                   connection,
		"lb_policy":                         "one loopback endpoint per cluster",
		"circuit_breakers":                  connection,
		"common_lb_config":                  "one loopback endpoint per cluster",
		"metadata":                          observability,
		"filters":                           "istio.metadata_exchange upstream network filter: telemetry",
		"transport_socket_matches":          "Istio's auto mTLS applies to endpoints labelled tlsMode=istio; the registry's loopback endpoints are plaintext",
		"typed_extension_protocol_options":  "", // HTTP/2 for gRPC clusters
		"dns_lookup_family":                 "loopback addresses only",
		"dns_refresh_rate":                  "loopback addresses only",
		"respect_dns_ttl":                   "loopback addresses only",
		"cleanup_interval":                  connection,
		"alt_stat_name":                     observability,
		"upstream_connection_options":       connection,
		"per_connection_buffer_limit_bytes": connection,
		"track_cluster_stats":               observability,
	})
	addr, ok := reg[c.GetName()]
	if !ok {
		addr = ""
	}
	return &upstream{name: c.GetName(), addr: addr}, errs
}

// upstream is one cluster: its loopback address ("" = no endpoint).
type upstream struct {
	name string
	addr string
}

func (g *Gateway) cluster(name string) (*upstream, error) {
	u, ok := g.clusters[name]
	if !ok {
		return nil, fmt.Errorf("cluster %q is not among the clusters istiod generated", name)
	}
	if u.addr == "" {
		return nil, fmt.Errorf("cluster %q has no endpoint in the registry", name)
	}
	return u, nil
}
