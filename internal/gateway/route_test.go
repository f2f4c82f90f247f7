package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestRoutes(t *testing.T) {
	redirect := &route.Route{Name: "meshauth-logout",
		Match:  &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/logout"}},
		Action: &route.Route_Redirect{Redirect: &route.RedirectAction{PathRewriteSpecifier: &route.RedirectAction_PathRedirect{PathRedirect: "/oauth2/sign_out?rd=%2F"}, ResponseCode: route.RedirectAction_FOUND}}}
	keepQuery := &route.Route{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/old"}},
		Action: &route.Route_Redirect{Redirect: &route.RedirectAction{PathRewriteSpecifier: &route.RedirectAction_PathRedirect{PathRedirect: "/new"}}}}
	direct := &route.Route{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/healthz"}},
		Action: &route.Route_DirectResponse{DirectResponse: &route.DirectResponseAction{Status: 204}}}
	rewrite := routeTo("/dex/", dashCluster)
	rewrite.GetRoute().PrefixRewrite = "/"
	rewrite.GetRoute().HostRewriteSpecifier = &route.RouteAction_HostRewriteLiteral{HostRewriteLiteral: "dex.auth"}
	rewrite.RequestHeadersToAdd = []*core.HeaderValueOption{{Header: &core.HeaderValue{Key: "x-added", Value: "1"}, AppendAction: core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}}
	rewrite.RequestHeadersToRemove = []string{"x-drop"}
	rewrite.ResponseHeadersToAdd = []*core.HeaderValueOption{{Header: &core.HeaderValue{Key: "x-resp", Value: "r"}}}
	regex := &route.Route{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: "/re/[0-9]+"}},
		Headers: []*route.HeaderMatcher{{Name: "x-version", HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: exact("v2")}}}},
		Action: &route.Route_DirectResponse{DirectResponse: &route.DirectResponseAction{Status: 200, Body: &core.DataSource{Specifier: &core.DataSource_InlineString{InlineString: "re"}}}}}
	caseless := &route.Route{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/CI/"}, CaseSensitive: wrapperspb.Bool(false)},
		Action: &route.Route_DirectResponse{DirectResponse: &route.DirectResponseAction{Status: 202}}}
	nowhere := routeTo("/nowhere/", authzCluster)
	x := xdsWith(t, nil,
		&route.VirtualHost{Name: "other", Domains: []string{"other.example", "other.example:*"}, Routes: []*route.Route{{
			Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}}, Action: &route.Route_DirectResponse{DirectResponse: &route.DirectResponseAction{Status: 418}}}}},
		&route.VirtualHost{Name: "*:80", Domains: []string{"*"}, Routes: []*route.Route{redirect, keepQuery, direct, rewrite, regex, caseless, nowhere, routeTo("/app/", dashCluster)}})
	gw := serveGateway(t, x, map[string]string{dashCluster: echoServer(t)})

	if r := do(t, "GET", gw+"/logout?x=1", nil); r.status != 302 || !strings.HasSuffix(r.header.Get("Location"), "/oauth2/sign_out?rd=%2F") || !strings.HasPrefix(r.header.Get("Location"), "http://127.0.0.1:") {
		t.Errorf("logout redirect = %d %q", r.status, r.header.Get("Location"))
	}
	if r := do(t, "POST", gw+"/logout", nil); r.status != 302 {
		t.Errorf("POST /logout = %d", r.status)
	}
	if r := do(t, "GET", gw+"/old?q=1", nil); r.status != 301 || !strings.HasSuffix(r.header.Get("Location"), "/new?q=1") {
		t.Errorf("path_redirect keeps the query: %d %q", r.status, r.header.Get("Location"))
	}
	if r := do(t, "GET", gw+"/healthz", nil); r.status != 204 {
		t.Errorf("direct response = %d", r.status)
	}
	r := do(t, "GET", gw+"/dex/keys?a=b", map[string]string{"X-Drop": "1", "X-Added": "0"})
	if r.status != 200 || r.seen.Path != "/keys?a=b" || r.seen.Host != "dex.auth" || r.seen.Header.Get("X-Drop") != "" ||
		r.seen.Header.Get("X-Added") != "1" || r.seen.Header.Get("X-Envoy-Original-Path") != "/dex/keys?a=b" || r.header.Get("X-Resp") != "r" {
		t.Errorf("rewrite: %d %+v resp %v", r.status, r.seen, r.header)
	}
	if r := do(t, "GET", gw+"/re/42", map[string]string{"X-Version": "v2"}); r.status != 200 || r.body != "re" {
		t.Errorf("regex + header = %d %q", r.status, r.body)
	}
	if r := do(t, "GET", gw+"/re/42", nil); r.status != 404 {
		t.Errorf("regex without the header = %d, want 404", r.status)
	}
	if r := do(t, "GET", gw+"/ci/x", nil); r.status != 202 {
		t.Errorf("case-insensitive prefix = %d", r.status)
	}
	if r := do(t, "GET", gw+"/nowhere/x", nil); r.status != 503 {
		t.Errorf("cluster without an endpoint = %d, want 503", r.status)
	}
	if r := do(t, "GET", gw+"/app/../healthz", nil); r.status != 204 {
		t.Errorf("normalize_path: /app/../healthz = %d, want the /healthz route", r.status)
	}
	if r := do(t, "GET", gw+"/", map[string]string{"Host": "other.example:8080"}); r.status != 418 {
		t.Errorf("virtual host by domain = %d", r.status)
	}
}

// Served over TLS (the caller's listener terminates it), the downstream
// scheme is https: X-Forwarded-Proto and redirects say so.
func TestTLSListener(t *testing.T) {
	redirect := &route.Route{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: "/r"}},
		Action: &route.Route_Redirect{Redirect: &route.RedirectAction{PathRewriteSpecifier: &route.RedirectAction_PathRedirect{PathRedirect: "/x"}}}}
	x := xdsWith(t, nil, &route.VirtualHost{Name: "*:80", Domains: []string{"*"}, Routes: []*route.Route{redirect, routeTo("/", dashCluster)}})
	g, err := New(x, Options{Clusters: map[string]string{dashCluster: echoServer(t)}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(g)
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + "/r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "https://") {
		t.Errorf("redirect over TLS = %q, want https", loc)
	}
	resp, err = c.Get(srv.URL + "/echo")
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if s.Header.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("X-Forwarded-Proto over TLS = %q", s.Header.Get("X-Forwarded-Proto"))
	}
}
