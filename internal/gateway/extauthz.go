package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extauthz "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
)

type extAuthzConfig = *extauthz.ExtAuthz

// extAuthzFilter is envoy.filters.http.ext_authz, HTTP or gRPC service.
type extAuthzFilter struct {
	g       *Gateway
	name    string
	cluster string
	timeout time.Duration
	grpc    bool
	// authority is the gRPC :authority (envoy_grpc.authority).
	authority string

	pathPrefix      string
	allowed         stringMatch // allowed_headers (nil = the default set)
	headersToAdd    [][2]string
	upstream        stringMatch // allowed_upstream_headers
	upstreamAppend  stringMatch
	client          stringMatch // allowed_client_headers (deny)
	clientOnSuccess stringMatch
	enabled         func(metadata) bool

	failOpen       bool
	failOpenHeader bool
	statusOnError  int
	withBody       *extauthz.BufferSettings

	conn struct {
		sync.Mutex
		c *grpc.ClientConn
	}
}

// compileExtAuthz turns istiod's ext_authz filter config into a filter,
// refusing every field the stand-in does not implement.
func (g *Gateway) compileExtAuthz(where, name string, c *extauthz.ExtAuthz) (*extAuthzFilter, []error) {
	errs := unimplemented(where, c, fieldRules{
		"http_service": "", "grpc_service": "", "transport_api_version": "", "failure_mode_allow": "",
		"failure_mode_allow_header_add": "", "status_on_error": "", "filter_enabled_metadata": "",
		"with_request_body": "", "allowed_headers": "", "stat_prefix": observability,
	})
	f := &extAuthzFilter{g: g, name: name, failOpen: c.GetFailureModeAllow(), failOpenHeader: c.GetFailureModeAllowHeaderAdd(),
		statusOnError: http.StatusForbidden, withBody: c.GetWithRequestBody()}
	if c.GetTransportApiVersion() != core.ApiVersion_V3 {
		errs = append(errs, fmt.Errorf("%s: transport_api_version %v (Envoy requires V3)", where, c.GetTransportApiVersion()))
	}
	if s := c.GetStatusOnError(); s != nil {
		f.statusOnError = int(s.GetCode())
	}
	if b := c.GetWithRequestBody(); b != nil {
		errs = append(errs, unimplemented(where+".with_request_body", b, fieldRules{"max_request_bytes": "", "allow_partial_message": "", "pack_as_bytes": ""})...)
	}
	var err error
	if f.allowed, err = compileList(where+".allowed_headers", c.GetAllowedHeaders()); err != nil {
		errs = append(errs, err)
	}
	if m := c.GetFilterEnabledMetadata(); m != nil {
		if f.enabled, err = compileMetadata(where+".filter_enabled_metadata", m); err != nil {
			errs = append(errs, err)
		}
	}
	switch svc := c.GetServices().(type) {
	case *extauthz.ExtAuthz_HttpService:
		errs = append(errs, f.compileHTTPService(where, svc.HttpService)...)
	case *extauthz.ExtAuthz_GrpcService:
		errs = append(errs, f.compileGRPCService(where, svc.GrpcService)...)
	default:
		errs = append(errs, fmt.Errorf("%s: neither http_service nor grpc_service", where))
	}
	if _, ok := g.clusters[f.cluster]; !ok && f.cluster != "" {
		errs = append(errs, fmt.Errorf("%s: cluster %q is not among the clusters istiod generated", where, f.cluster))
	}
	if f.timeout == 0 {
		// Envoy's default for a gRPC service (server_uri.timeout is required).
		f.timeout = 200 * time.Millisecond
	}
	return f, errs
}

func (f *extAuthzFilter) compileHTTPService(where string, h *extauthz.HttpService) []error {
	errs := unimplemented(where+".http_service", h, fieldRules{
		"server_uri": "", "path_prefix": "", "authorization_request": "", "authorization_response": ""})
	u := h.GetServerUri()
	errs = append(errs, unimplemented(where+".http_service.server_uri", u, fieldRules{
		"uri": "Envoy does not use it: the cluster is", "cluster": "", "timeout": ""})...)
	f.cluster, f.timeout, f.pathPrefix = u.GetCluster(), u.GetTimeout().AsDuration(), h.GetPathPrefix()
	if rq := h.GetAuthorizationRequest(); rq != nil {
		errs = append(errs, f.compileAuthorizationRequest(where, rq)...)
	}
	if rs := h.GetAuthorizationResponse(); rs != nil {
		errs = append(errs, f.compileAuthorizationResponse(where, rs)...)
	}
	return errs
}

func (f *extAuthzFilter) compileAuthorizationRequest(where string, rq *extauthz.AuthorizationRequest) []error {
	errs := unimplemented(where+".authorization_request", rq, fieldRules{"headers_to_add": "", "allowed_headers": ""})
	// The legacy field: the top-level allowed_headers wins.
	if rq.GetAllowedHeaders() != nil && f.allowed == nil {
		var err error
		if f.allowed, err = compileList(where+".authorization_request.allowed_headers", rq.GetAllowedHeaders()); err != nil {
			errs = append(errs, err)
		}
	}
	for _, hv := range rq.GetHeadersToAdd() {
		f.headersToAdd = append(f.headersToAdd, [2]string{hv.GetKey(), hv.GetValue()})
	}
	return errs
}

func (f *extAuthzFilter) compileAuthorizationResponse(where string, rs *extauthz.AuthorizationResponse) []error {
	errs := unimplemented(where+".authorization_response", rs, fieldRules{
		"allowed_upstream_headers": "", "allowed_upstream_headers_to_append": "", "allowed_client_headers": "",
		"allowed_client_headers_on_success": ""})
	for _, l := range []struct {
		dst   *stringMatch
		field string
		list  *matcher.ListStringMatcher
	}{
		{&f.upstream, "allowed_upstream_headers", rs.GetAllowedUpstreamHeaders()},
		{&f.upstreamAppend, "allowed_upstream_headers_to_append", rs.GetAllowedUpstreamHeadersToAppend()},
		{&f.client, "allowed_client_headers", rs.GetAllowedClientHeaders()},
		{&f.clientOnSuccess, "allowed_client_headers_on_success", rs.GetAllowedClientHeadersOnSuccess()},
	} {
		var err error
		if *l.dst, err = compileList(where+"."+l.field, l.list); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (f *extAuthzFilter) compileGRPCService(where string, gs *core.GrpcService) []error {
	errs := unimplemented(where+".grpc_service", gs, fieldRules{"envoy_grpc": "", "timeout": ""})
	eg := gs.GetEnvoyGrpc()
	if eg == nil {
		errs = append(errs, fmt.Errorf("%s.grpc_service: only envoy_grpc is implemented", where))
	}
	errs = append(errs, unimplemented(where+".grpc_service.envoy_grpc", eg, fieldRules{"cluster_name": "", "authority": ""})...)
	f.grpc, f.cluster, f.authority, f.timeout = true, eg.GetClusterName(), eg.GetAuthority(), gs.GetTimeout().AsDuration()
	return errs
}

// alwaysSent are the request headers Envoy always includes in an HTTP
// check, besides allowed_headers.
var alwaysSent = map[string]bool{"host": true, "method": true, "path": true, "content-length": true, "authorization": true}

func (f *extAuthzFilter) decode(ctx context.Context, s *stream) *reply {
	if pr, ok := s.perRoute(f.name).(*extauthz.ExtAuthzPerRoute); ok && pr.GetDisabled() {
		s.log("ext_authz %s: disabled on this route", f.name)
		return nil
	}
	if f.enabled != nil && !f.enabled(s.meta) {
		s.log("ext_authz %s: not enabled (filter_enabled_metadata does not match)", f.name)
		return nil
	}
	var body []byte
	if f.withBody != nil {
		max := int(f.withBody.GetMaxRequestBytes())
		body = s.body
		if len(body) > max {
			if !f.withBody.GetAllowPartialMessage() {
				return &reply{status: http.StatusRequestEntityTooLarge, body: []byte("Payload Too Large")}
			}
			body = body[:max]
		}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var res checkResult
	if f.grpc {
		res = f.checkGRPC(ctx, s, body)
	} else {
		res = f.checkHTTP(ctx, s, body)
	}
	switch {
	case res.err != nil:
		if f.failOpen {
			s.log("ext_authz %s: error (%v): failure_mode_allow → allow", f.name, res.err)
			if f.failOpenHeader {
				s.header.Set("X-Envoy-Auth-Failure-Mode-Allowed", "true")
			}
			return nil
		}
		s.log("ext_authz %s: error (%v): %d", f.name, res.err, f.statusOnError)
		return &reply{status: f.statusOnError}
	case !res.allow:
		s.log("ext_authz %s: deny %d (Location %q)", f.name, res.status, res.header.Get("Location"))
		return &reply{status: res.status, header: res.header, body: res.body}
	}
	for _, kv := range res.set {
		s.header.Set(kv[0], kv[1])
	}
	for _, kv := range res.add {
		s.header.Add(kv[0], kv[1])
	}
	for _, n := range res.remove {
		// Envoy refuses to remove pseudo-headers and Host.
		if !strings.HasPrefix(n, ":") && !strings.EqualFold(n, "host") {
			s.header.Del(n)
		}
	}
	for k, v := range res.respHeader {
		s.respHeader[k] = append(s.respHeader[k], v...)
	}
	s.log("ext_authz %s: allow (set %v, removed %v)", f.name, names(res.set), res.remove)
	return nil
}

func names(kv [][2]string) []string {
	var out []string
	for _, p := range kv {
		out = append(out, strings.ToLower(p[0]))
	}
	return out
}

// checkResult is the outcome of one check, for either transport.
type checkResult struct {
	err        error
	allow      bool
	status     int
	header     http.Header // deny: to the client
	body       []byte
	set, add   [][2]string // allow: request headers
	remove     []string
	respHeader http.Header // allow: to the client
}

// checkHTTP is the HTTP ext_authz check, as Envoy's HTTP client makes it:
// build the request, send it, read the answer as an allow or a deny.
func (f *extAuthzFilter) checkHTTP(ctx context.Context, s *stream, body []byte) checkResult {
	req, err := f.httpCheckRequest(ctx, s, body)
	if err != nil {
		return checkResult{err: err}
	}
	resp, err := f.g.client.Do(req)
	if err != nil {
		return checkResult{err: err}
	}
	defer resp.Body.Close()
	rbody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return checkResult{err: err}
	}
	switch {
	case resp.StatusCode >= 500:
		// Envoy: a 5xx from the authorization server is an error.
		return checkResult{err: fmt.Errorf("authorization server answered %s", resp.Status)}
	case resp.StatusCode != http.StatusOK:
		// Only 200 allows; anything else is a denial passed to the client.
		return checkResult{status: resp.StatusCode, header: f.deniedHeaders(resp.Header), body: rbody}
	}
	return f.httpAllowed(resp.Header)
}

// httpCheckRequest is the request to the authorization server: the
// client's, under path_prefix, with the allowed headers and headers_to_add.
func (f *extAuthzFilter) httpCheckRequest(ctx context.Context, s *stream, body []byte) (*http.Request, error) {
	u, err := f.g.cluster(f.cluster)
	if err != nil {
		return nil, err
	}
	var rb io.Reader = http.NoBody
	if body != nil {
		rb = bytes.NewReader(body)
	}
	target, err := upstreamURL(u.addr, f.pathPrefix+s.path)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, s.method, "http://"+u.addr, rb)
	if err != nil {
		return nil, err
	}
	req.URL = target
	req.Host = s.authority
	req.ContentLength = int64(len(body))
	for k, v := range s.header {
		lk := strings.ToLower(k)
		if alwaysSent[lk] || (f.allowed != nil && f.allowed(lk)) {
			req.Header[k] = append([]string(nil), v...)
		}
	}
	req.Header.Del("Content-Length")
	for _, kv := range f.headersToAdd {
		req.Header.Set(kv[0], kv[1])
	}
	return req, nil
}

// deniedHeaders are the headers of a denial passed to the client:
// allowed_client_headers and the ones Envoy always passes.
func (f *extAuthzFilter) deniedHeaders(from http.Header) http.Header {
	h := http.Header{}
	for k, v := range from {
		lk := strings.ToLower(k)
		if lk == "host" || lk == "content-length" || lk == "transfer-encoding" || lk == "connection" {
			continue
		}
		if f.client == nil || f.client(lk) || lk == "path" || lk == "status" || lk == "www-authenticate" || lk == "location" {
			h[k] = v
		}
	}
	return h
}

// httpAllowed reads an allow: the request headers to set, add and remove
// (x-envoy-auth-headers-to-remove), and the ones for the client.
func (f *extAuthzFilter) httpAllowed(from http.Header) checkResult {
	res := checkResult{allow: true, respHeader: http.Header{}}
	for k, v := range from {
		lk := strings.ToLower(k)
		if lk == "x-envoy-auth-headers-to-remove" {
			for _, line := range v {
				for _, n := range strings.Split(line, ",") {
					if n = strings.TrimSpace(n); n != "" {
						res.remove = append(res.remove, strings.ToLower(n))
					}
				}
			}
			continue
		}
		if f.upstream != nil && f.upstream(lk) {
			for i, val := range v {
				if i == 0 {
					res.set = append(res.set, [2]string{k, val})
				} else {
					res.add = append(res.add, [2]string{k, val})
				}
			}
		}
		if f.upstreamAppend != nil && f.upstreamAppend(lk) {
			for _, val := range v {
				res.add = append(res.add, [2]string{k, val})
			}
		}
		if f.clientOnSuccess != nil && f.clientOnSuccess(lk) {
			res.respHeader[k] = append(res.respHeader[k], v...)
		}
	}
	return res
}

func (f *extAuthzFilter) grpcConn() (*grpc.ClientConn, error) {
	f.conn.Lock()
	defer f.conn.Unlock()
	if f.conn.c != nil {
		return f.conn.c, nil
	}
	u, err := f.g.cluster(f.cluster)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if f.authority != "" {
		opts = append(opts, grpc.WithAuthority(f.authority))
	}
	c, err := grpc.NewClient(u.addr, opts...)
	if err != nil {
		return nil, err
	}
	f.conn.c = c
	return c, nil
}

// checkGRPC is the gRPC ext_authz check: the CheckRequest, then the
// answer as an allow or a deny.
func (f *extAuthzFilter) checkGRPC(ctx context.Context, s *stream, body []byte) checkResult {
	conn, err := f.grpcConn()
	if err != nil {
		return checkResult{err: err}
	}
	resp, err := authv3.NewAuthorizationClient(conn).Check(ctx, f.grpcCheckRequest(s, body))
	if err != nil {
		return checkResult{err: err}
	}
	if codes.Code(resp.GetStatus().GetCode()) == codes.OK {
		return grpcAllowed(s, resp.GetOkResponse())
	}
	d := resp.GetDeniedResponse()
	status := http.StatusForbidden
	if c := d.GetStatus().GetCode(); c != 0 {
		status = int(c)
	}
	h := http.Header{}
	for _, hv := range d.GetHeaders() {
		h.Add(hv.GetHeader().GetKey(), hv.GetHeader().GetValue())
	}
	return checkResult{status: status, header: h, body: []byte(d.GetBody())}
}

func (f *extAuthzFilter) grpcCheckRequest(s *stream, body []byte) *authv3.CheckRequest {
	hdr := map[string]string{":path": s.path, ":method": s.method, ":authority": s.authority, ":scheme": s.scheme}
	for k, v := range s.header {
		lk := strings.ToLower(k)
		// gRPC: every header unless allowed_headers is set.
		if f.allowed == nil || f.allowed(lk) {
			hdr[lk] = strings.Join(v, ",")
		}
	}
	_, query, _ := strings.Cut(s.path, "?")
	hr := &authv3.AttributeContext_HttpRequest{
		Id: s.header.Get("X-Request-Id"), Method: s.method, Headers: hdr, Path: s.path, Host: s.authority,
		Scheme: s.scheme, Query: query, Protocol: "HTTP/1.1", Size: int64(len(s.body)),
	}
	if body != nil {
		if f.withBody.GetPackAsBytes() {
			hr.RawBody = body
		} else {
			hr.Body = string(body)
		}
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:  &authv3.AttributeContext_Peer{Address: socketAddr(s.remote)},
		Request: &authv3.AttributeContext_Request{Http: hr},
	}}
}

// grpcAllowed reads an OkHttpResponse by each header's append action.
func grpcAllowed(s *stream, ok *authv3.OkHttpResponse) checkResult {
	res := checkResult{allow: true, respHeader: http.Header{}}
	for _, h := range ok.GetHeaders() {
		kv := [2]string{h.GetHeader().GetKey(), h.GetHeader().GetValue()}
		switch {
		case h.GetAppendAction() == core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			res.set = append(res.set, kv)
		case h.GetAppendAction() == core.HeaderValueOption_ADD_IF_ABSENT:
			if s.header.Get(kv[0]) == "" {
				res.set = append(res.set, kv)
			}
		case h.GetAppendAction() == core.HeaderValueOption_OVERWRITE_IF_EXISTS:
			if s.header.Get(kv[0]) != "" {
				res.set = append(res.set, kv)
			}
		case h.GetAppend() != nil && !h.GetAppend().GetValue():
			res.set = append(res.set, kv)
		default: // APPEND_IF_EXISTS_OR_ADD, the default
			res.add = append(res.add, kv)
		}
	}
	for _, n := range ok.GetHeadersToRemove() {
		res.remove = append(res.remove, strings.ToLower(n))
	}
	for _, h := range ok.GetResponseHeadersToAdd() {
		res.respHeader.Add(h.GetHeader().GetKey(), h.GetHeader().GetValue())
	}
	return res
}

func socketAddr(ip string) *core.Address {
	return &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{Address: ip}}}
}
