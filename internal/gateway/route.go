package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
)

// routeTable is a RouteConfiguration, compiled.
type routeTable struct {
	name       string
	vhosts     []*compiledVHost
	headers    headerOps
	ignorePort bool
}

type compiledVHost struct {
	name      string
	domains   []string
	routes    []*compiledRoute
	headers   headerOps
	perFilter map[string]proto.Message
}

type compiledRoute struct {
	name      string
	match     func(*stream) bool
	prefix    string // the matched prefix, for prefix_rewrite
	kind      string // "route", "redirect", "direct"
	action    *route.RouteAction
	redirect  *route.RedirectAction
	direct    *route.DirectResponseAction
	headers   headerOps
	perFilter map[string]proto.Message
}

// headerOps are the request and response header additions and removals
// of one level (route, virtual host, route configuration).
type headerOps struct {
	reqAdd, respAdd       []*core.HeaderValueOption
	reqRemove, respRemove []string
}

func compileHeaderOps(where string, add []*core.HeaderValueOption, remove []string, respAdd []*core.HeaderValueOption, respRemove []string) (headerOps, []error) {
	var errs []error
	for i, l := range [][]*core.HeaderValueOption{add, respAdd} {
		for _, o := range l {
			errs = append(errs, unimplemented(fmt.Sprintf("%s headers_to_add[%d]", where, i), o, fieldRules{"header": "", "append_action": "", "append": ""})...)
			if v := o.GetHeader().GetValue(); strings.Contains(strings.ReplaceAll(v, "%%", ""), "%") {
				errs = append(errs, fmt.Errorf("%s: header %s value %q uses a command operator, not implemented", where, o.GetHeader().GetKey(), v))
			}
		}
	}
	return headerOps{reqAdd: add, respAdd: respAdd, reqRemove: remove, respRemove: respRemove}, errs
}

func compileRoutes(rc *route.RouteConfiguration, g *Gateway, filters map[string]bool) (*routeTable, []error) {
	where := "route configuration " + rc.GetName()
	errs := unimplemented(where, rc, fieldRules{
		"name": "", "virtual_hosts": "", "validate_clusters": "validation only",
		"request_headers_to_add": "", "request_headers_to_remove": "", "response_headers_to_add": "", "response_headers_to_remove": "",
		"ignore_port_in_host_matching": "", "max_direct_response_body_size_bytes": "",
	})
	rt := &routeTable{name: rc.GetName(), ignorePort: rc.GetIgnorePortInHostMatching()}
	var e []error
	rt.headers, e = compileHeaderOps(where, rc.GetRequestHeadersToAdd(), rc.GetRequestHeadersToRemove(), rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove())
	errs = append(errs, e...)
	for _, vh := range rc.GetVirtualHosts() {
		vw := where + " virtual host " + vh.GetName()
		errs = append(errs, unimplemented(vw, vh, fieldRules{
			"name": "", "domains": "", "routes": "", "typed_per_filter_config": "",
			"request_headers_to_add": "", "request_headers_to_remove": "", "response_headers_to_add": "", "response_headers_to_remove": "",
			"include_request_attempt_count": observability, "retry_policy": "requests to loopback upstreams are not retried",
		})...)
		cv := &compiledVHost{name: vh.GetName(), domains: vh.GetDomains()}
		cv.headers, e = compileHeaderOps(vw, vh.GetRequestHeadersToAdd(), vh.GetRequestHeadersToRemove(), vh.GetResponseHeadersToAdd(), vh.GetResponseHeadersToRemove())
		errs = append(errs, e...)
		cv.perFilter, e = decodePerFilter(vw, vh.GetTypedPerFilterConfig(), filters)
		errs = append(errs, e...)
		for i, r := range vh.GetRoutes() {
			cr, e := compileRoute(fmt.Sprintf("%s route[%d] %s", vw, i, r.GetName()), r, g, filters)
			errs = append(errs, e...)
			cv.routes = append(cv.routes, cr)
		}
		rt.vhosts = append(rt.vhosts, cv)
	}
	return rt, errs
}

func compileRoute(where string, r *route.Route, g *Gateway, filters map[string]bool) (*compiledRoute, []error) {
	errs := unimplemented(where, r, fieldRules{
		"name": "", "match": "", "route": "", "redirect": "", "direct_response": "", "typed_per_filter_config": "",
		"request_headers_to_add": "", "request_headers_to_remove": "", "response_headers_to_add": "", "response_headers_to_remove": "",
		"metadata": observability, "decorator": observability,
	})
	cr := &compiledRoute{name: r.GetName()}
	var e []error
	cr.match, e = compileRouteMatch(where+" match", r.GetMatch())
	errs = append(errs, e...)
	switch {
	case r.GetMatch().GetPrefix() != "":
		cr.prefix = r.GetMatch().GetPrefix()
	case r.GetMatch().GetPathSeparatedPrefix() != "":
		cr.prefix = r.GetMatch().GetPathSeparatedPrefix()
	}
	cr.headers, e = compileHeaderOps(where, r.GetRequestHeadersToAdd(), r.GetRequestHeadersToRemove(), r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove())
	errs = append(errs, e...)
	cr.perFilter, e = decodePerFilter(where, r.GetTypedPerFilterConfig(), filters)
	errs = append(errs, e...)
	switch a := r.GetAction().(type) {
	case *route.Route_Route:
		cr.kind, cr.action = "route", a.Route
		errs = append(errs, unimplemented(where+" route", a.Route, fieldRules{
			"cluster": "", "weighted_clusters": "", "prefix_rewrite": "", "host_rewrite_literal": "",
			"cluster_not_found_response_code": "",
			"timeout":                         "", // bounded, see router
			"retry_policy":                    "requests to loopback upstreams are not retried",
			"max_stream_duration":             connection,
			"max_grpc_timeout":                connection,
			"hash_policy":                     "one loopback endpoint per cluster",
			"upgrade_configs":                 "WebSocket upgrades: requests are proxied as plain HTTP/1.1",
			"idle_timeout":                    connection,
		})...)
		if wc := a.Route.GetWeightedClusters(); wc != nil {
			if len(wc.GetClusters()) != 1 {
				errs = append(errs, fmt.Errorf("%s: weighted_clusters with %d clusters is not implemented (one only)", where, len(wc.GetClusters())))
			}
		}
		for _, c := range routeClusters(a.Route) {
			if _, ok := g.clusters[c]; !ok {
				errs = append(errs, fmt.Errorf("%s: cluster %q is not among the clusters istiod generated", where, c))
			}
		}
	case *route.Route_Redirect:
		cr.kind, cr.redirect = "redirect", a.Redirect
		errs = append(errs, unimplemented(where+" redirect", a.Redirect, fieldRules{
			"https_redirect": "", "scheme_redirect": "", "host_redirect": "", "port_redirect": "", "path_redirect": "",
			"prefix_rewrite": "", "response_code": "", "strip_query": ""})...)
	case *route.Route_DirectResponse:
		cr.kind, cr.direct = "direct", a.DirectResponse
		errs = append(errs, unimplemented(where+" direct_response", a.DirectResponse, fieldRules{"status": "", "body": ""})...)
		if b := a.DirectResponse.GetBody(); b != nil {
			errs = append(errs, unimplemented(where+" direct_response.body", b, fieldRules{"inline_string": "", "inline_bytes": ""})...)
		}
	default:
		errs = append(errs, fmt.Errorf("%s: route action %T is not implemented", where, a))
	}
	return cr, errs
}

func routeClusters(a *route.RouteAction) []string {
	if c := a.GetCluster(); c != "" {
		return []string{c}
	}
	var out []string
	for _, w := range a.GetWeightedClusters().GetClusters() {
		out = append(out, w.GetName())
	}
	return out
}

// compileRouteMatch is envoy.config.route.v3.RouteMatch.
func compileRouteMatch(where string, m *route.RouteMatch) (func(*stream) bool, []error) {
	if m == nil {
		return func(*stream) bool { return true }, nil
	}
	errs := unimplemented(where, m, fieldRules{"prefix": "", "path": "", "safe_regex": "", "path_separated_prefix": "", "case_sensitive": "", "headers": ""})
	cs := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	fold := func(s string) string {
		if cs {
			return s
		}
		return strings.ToLower(s)
	}
	var path func(string) bool
	switch p := m.GetPathSpecifier().(type) {
	case *route.RouteMatch_Prefix:
		want := fold(p.Prefix)
		path = func(s string) bool { return strings.HasPrefix(fold(s), want) }
	case *route.RouteMatch_Path:
		want := fold(p.Path)
		path = func(s string) bool { return fold(s) == want }
	case *route.RouteMatch_PathSeparatedPrefix:
		want := fold(p.PathSeparatedPrefix)
		path = func(s string) bool {
			s = fold(s)
			return s == want || strings.HasPrefix(s, want+"/")
		}
	case *route.RouteMatch_SafeRegex:
		re, err := compileRegex(where+".safe_regex", p.SafeRegex)
		if err != nil {
			return nil, append(errs, err)
		}
		path = re.MatchString
	default:
		errs = append(errs, fmt.Errorf("%s: path specifier %T is not implemented", where, p))
		return nil, errs
	}
	var hs []headerMatch
	for i, h := range m.GetHeaders() {
		hm, err := compileHeader(fmt.Sprintf("%s.headers[%d]", where, i), h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		hs = append(hs, hm)
	}
	return func(s *stream) bool {
		// Route path matching ignores the query string.
		if !path(s.pathOnly()) {
			return false
		}
		for _, h := range hs {
			if !h(s) {
				return false
			}
		}
		return true
	}, errs
}

// match picks the virtual host by :authority (Envoy's order: exact, then
// the longest suffix wildcard, then the longest prefix wildcard, then "*")
// and its first matching route.
func (rt *routeTable) match(s *stream) (*compiledVHost, *compiledRoute) {
	if rt == nil {
		return nil, nil
	}
	host := strings.ToLower(s.authority)
	if rt.ignorePort {
		if i := strings.LastIndex(host, ":"); i >= 0 && !strings.Contains(host[i:], "]") {
			host = host[:i]
		}
	}
	type cand struct {
		vh    *compiledVHost
		rank  int
		score int
	}
	var best *cand
	for _, vh := range rt.vhosts {
		for _, d := range vh.domains {
			d = strings.ToLower(d)
			c := cand{vh: vh}
			switch {
			case d == host:
				c.rank, c.score = 4, len(d)
			case d == "*":
				c.rank = 1
			case strings.HasPrefix(d, "*") && strings.HasSuffix(host, d[1:]) && len(host) > len(d)-1:
				c.rank, c.score = 3, len(d)
			case strings.HasSuffix(d, "*") && strings.HasPrefix(host, d[:len(d)-1]) && len(host) > len(d)-1:
				c.rank, c.score = 2, len(d)
			default:
				continue
			}
			if best == nil || c.rank > best.rank || (c.rank == best.rank && c.score > best.score) {
				cc := c
				best = &cc
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	for _, r := range best.vh.routes {
		if r.match(s) {
			return best.vh, r
		}
	}
	return best.vh, nil
}

// routerTimeout bounds an upstream exchange (Istio sets route timeouts of
// 0, "none"; a test must still end).
const routerTimeout = 60 * time.Second

// router is envoy.filters.http.router: the route's redirect, direct
// response, or the request to its cluster.
func (g *Gateway) router(w http.ResponseWriter, ctx context.Context, s *stream) {
	r := s.route
	if r == nil {
		s.log("router: no route → 404")
		s.send(w, &reply{status: http.StatusNotFound})
		return
	}
	// Header operations, most specific level first.
	levels := []headerOps{r.headers, s.vhost.headers, g.routes.headers}
	switch r.kind {
	case "redirect":
		s.send(w, g.redirectReply(s, r, levels))
	case "direct":
		s.send(w, directReply(s, r, levels))
	default:
		g.forward(w, ctx, s, levels)
	}
}

// redirectCodes are the HTTP statuses of the redirect response codes.
var redirectCodes = map[route.RedirectAction_RedirectResponseCode]int{
	route.RedirectAction_MOVED_PERMANENTLY: 301, route.RedirectAction_FOUND: 302, route.RedirectAction_SEE_OTHER: 303,
	route.RedirectAction_TEMPORARY_REDIRECT: 307, route.RedirectAction_PERMANENT_REDIRECT: 308,
}

func (g *Gateway) redirectReply(s *stream, r *compiledRoute, levels []headerOps) *reply {
	loc := g.redirectLocation(s, r)
	code := redirectCodes[r.redirect.GetResponseCode()]
	s.log("router: route %q redirect %d %s", r.name, code, loc)
	rep := &reply{status: code, header: http.Header{"Location": {loc}}}
	applyResponseOps(rep.header, levels)
	return rep
}

func directReply(s *stream, r *compiledRoute, levels []headerOps) *reply {
	b := r.direct.GetBody()
	body := append([]byte(b.GetInlineString()), b.GetInlineBytes()...)
	s.log("router: route %q direct response %d", r.name, r.direct.GetStatus())
	rep := &reply{status: int(r.direct.GetStatus()), header: http.Header{}, body: body}
	applyResponseOps(rep.header, levels)
	return rep
}

// forward sends the request to the route's cluster and the answer back.
func (g *Gateway) forward(w http.ResponseWriter, ctx context.Context, s *stream, levels []headerOps) {
	r, a := s.route, s.route.action
	cl := routeClusters(a)[0]
	u, err := g.cluster(cl)
	if err != nil {
		code := http.StatusServiceUnavailable
		if a.GetClusterNotFoundResponseCode() == route.RouteAction_NOT_FOUND {
			code = http.StatusNotFound
		}
		s.log("router: route %q: %v → %d", r.name, err, code)
		s.send(w, &reply{status: code, body: []byte("no healthy upstream")})
		return
	}
	path := rewritePath(s, r)
	host := s.authority
	if h := a.GetHostRewriteLiteral(); h != "" {
		host = h
	}
	applyRequestOps(s, levels)
	ctx, cancel := context.WithTimeout(ctx, routeTimeout(a))
	defer cancel()
	var body io.Reader = http.NoBody
	if len(s.body) > 0 {
		body = bytes.NewReader(s.body)
	}
	target, err := upstreamURL(u.addr, path)
	if err != nil {
		s.log("router: route %q: %v → 502", r.name, err)
		s.send(w, &reply{status: http.StatusBadGateway, body: []byte(err.Error())})
		return
	}
	req, err := http.NewRequestWithContext(ctx, s.method, "http://"+u.addr, body)
	if err != nil {
		s.send(w, &reply{status: http.StatusBadRequest})
		return
	}
	req.URL = target
	req.Header = s.header
	req.Host = host
	req.ContentLength = int64(len(s.body))
	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		s.log("router: route %q → %s: %v → 503", r.name, cl, err)
		s.send(w, &reply{status: http.StatusServiceUnavailable, body: []byte("upstream connect error or disconnect/reset before headers")})
		return
	}
	defer resp.Body.Close()
	s.log("router: route %q → %s %s: %d", r.name, cl, path, resp.StatusCode)
	relay(w, s, resp, time.Since(start), levels)
}

// relay writes the upstream's response to the client, with the response
// header operations and the headers the filters added.
func relay(w http.ResponseWriter, s *stream, resp *http.Response, took time.Duration, levels []headerOps) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	h.Set("X-Envoy-Upstream-Service-Time", fmt.Sprint(took.Milliseconds()))
	applyResponseOps(h, levels)
	for k, v := range s.respHeader {
		h[k] = append(h[k], v...)
	}
	s.serverHeader(h)
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// rewritePath is the upstream :path after the route's prefix_rewrite,
// which also keeps the original in X-Envoy-Original-Path.
func rewritePath(s *stream, r *compiledRoute) string {
	pr := r.action.GetPrefixRewrite()
	if pr == "" {
		return s.path
	}
	s.header.Set("X-Envoy-Original-Path", s.path)
	if r.prefix != "" {
		return pr + strings.TrimPrefix(s.path, r.prefix)
	}
	path := pr
	if _, q, hasQ := strings.Cut(s.path, "?"); hasQ {
		path += "?" + q
	}
	return path
}

// routeTimeout is the route's timeout, bounded by routerTimeout.
func routeTimeout(a *route.RouteAction) time.Duration {
	if t := a.GetTimeout(); t != nil && t.AsDuration() > 0 && t.AsDuration() < routerTimeout {
		return t.AsDuration()
	}
	return routerTimeout
}

func applyRequestOps(s *stream, levels []headerOps) {
	for _, l := range levels {
		for _, o := range l.reqAdd {
			applyHeaderOption(s, o.GetHeader().GetKey(), o.GetHeader().GetValue(), appendAction(o))
		}
		for _, n := range l.reqRemove {
			s.header.Del(n)
		}
	}
}

func appendAction(o *core.HeaderValueOption) core.HeaderValueOption_HeaderAppendAction {
	if o.GetAppend() != nil {
		if o.GetAppend().GetValue() {
			return core.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD
		}
		return core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
	}
	return o.GetAppendAction()
}

func applyResponseOps(h http.Header, levels []headerOps) {
	for _, l := range levels {
		for _, o := range l.respAdd {
			k, v := o.GetHeader().GetKey(), o.GetHeader().GetValue()
			switch appendAction(o) {
			case core.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
				h.Add(k, v)
			case core.HeaderValueOption_ADD_IF_ABSENT:
				if h.Get(k) == "" {
					h.Set(k, v)
				}
			case core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
				h.Set(k, v)
			case core.HeaderValueOption_OVERWRITE_IF_EXISTS:
				if h.Get(k) != "" {
					h.Set(k, v)
				}
			}
		}
		for _, n := range l.respRemove {
			h.Del(n)
		}
	}
}

// redirectLocation is Envoy's redirect URL: scheme, host, port and path
// replaced as configured, the rest from the request.
func (g *Gateway) redirectLocation(s *stream, r *compiledRoute) string {
	rd := r.redirect
	scheme := s.scheme
	if xf := s.header.Get("X-Forwarded-Proto"); xf != "" {
		scheme = xf
	}
	if rd.GetHttpsRedirect() {
		scheme = "https"
	} else if rd.GetSchemeRedirect() != "" {
		scheme = rd.GetSchemeRedirect()
	}
	host := s.authority
	if rd.GetHostRedirect() != "" {
		host = rd.GetHostRedirect()
	}
	if rd.GetPortRedirect() != 0 {
		h := host
		if i := strings.LastIndex(h, ":"); i >= 0 {
			h = h[:i]
		}
		host = fmt.Sprintf("%s:%d", h, rd.GetPortRedirect())
	}
	path, query, hasQ := strings.Cut(s.path, "?")
	switch {
	case rd.GetPathRedirect() != "":
		// A query in path_redirect replaces the request's.
		p, q, pq := strings.Cut(rd.GetPathRedirect(), "?")
		path = p
		if pq {
			query, hasQ = q, true
		}
	case rd.GetPrefixRewrite() != "" && r.prefix != "":
		path = rd.GetPrefixRewrite() + strings.TrimPrefix(path, r.prefix)
	}
	if rd.GetStripQuery() {
		hasQ = false
	}
	loc := scheme + "://" + host + path
	if hasQ && query != "" {
		loc += "?" + query
	}
	return loc
}
