package gateway

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacpb "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthz "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	jwtauthn "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"meshauth.dev/meshauth/internal/testissuer"
)

// The meshauth chain as istiod builds it for authorizer oauth2-proxy:
// rbac (CUSTOM shadow) > ext_authz > jwt_authn > rbac (DENY) > router.

func customShadow(t testing.TB) *hcm.HttpFilter {
	// CUSTOM: to notPaths /oauth2/*, when no authorization header.
	perm := &rbacpb.Permission{Rule: &rbacpb.Permission_AndRules{AndRules: &rbacpb.Permission_Set{Rules: []*rbacpb.Permission{{
		Rule: &rbacpb.Permission_NotRule{NotRule: &rbacpb.Permission{Rule: &rbacpb.Permission_OrRules{OrRules: &rbacpb.Permission_Set{Rules: []*rbacpb.Permission{{
			Rule: &rbacpb.Permission_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: prefix("/oauth2/")}}}}}}}}}}}}}}
	princ := &rbacpb.Principal{Identifier: &rbacpb.Principal_AndIds{AndIds: &rbacpb.Principal_Set{Ids: []*rbacpb.Principal{{
		Identifier: &rbacpb.Principal_NotId{NotId: &rbacpb.Principal{Identifier: &rbacpb.Principal_OrIds{OrIds: &rbacpb.Principal_Set{Ids: []*rbacpb.Principal{{
			Identifier: &rbacpb.Principal_Header{Header: &route.HeaderMatcher{Name: "authorization",
				HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}}}}}}}}}}}}}}
	return filter(t, "envoy.filters.http.rbac", &rbac.RBAC{
		ShadowRulesStatPrefix: "istio_ext_authz_",
		ShadowRules: &rbacpb.RBAC{Policies: map[string]*rbacpb.Policy{
			"istio-ext-authz-ns[istio-system]-policy[custom]-rule[0]": {Permissions: []*rbacpb.Permission{perm}, Principals: []*rbacpb.Principal{princ}},
		}},
	})
}

func extAuthzHTTP(t testing.TB, mod func(*extauthz.ExtAuthz)) *hcm.HttpFilter {
	list := func(names ...string) *matcher.ListStringMatcher {
		l := &matcher.ListStringMatcher{}
		for _, n := range names {
			l.Patterns = append(l.Patterns, &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: n}, IgnoreCase: true})
		}
		return l
	}
	c := &extauthz.ExtAuthz{
		TransportApiVersion: core.ApiVersion_V3,
		Services: &extauthz.ExtAuthz_HttpService{HttpService: &extauthz.HttpService{
			ServerUri: &core.HttpUri{Uri: "http://authz.auth.svc.cluster.local", HttpUpstreamType: &core.HttpUri_Cluster{Cluster: authzCluster}, Timeout: durationpb.New(2 * time.Second)},
			AuthorizationResponse: &extauthz.AuthorizationResponse{
				AllowedUpstreamHeaders: list("authorization", "x-auth-request-email"),
				AllowedClientHeaders:   list("content-type", "set-cookie"),
			},
		}},
		AllowedHeaders: list("cookie", "authorization"),
		FilterEnabledMetadata: &matcher.MetadataMatcher{Filter: "envoy.filters.http.rbac",
			Path:  []*matcher.MetadataMatcher_PathSegment{{Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: "istio_ext_authz_shadow_effective_policy_id"}}},
			Value: &matcher.ValueMatcher{MatchPattern: &matcher.ValueMatcher_StringMatch{StringMatch: prefix("istio-ext-authz")}}},
	}
	if mod != nil {
		mod(c)
	}
	return filter(t, "envoy.filters.http.ext_authz", c)
}

func jwtFilterFor(t testing.TB, iss string, s *signer, aud []string) *hcm.HttpFilter {
	p := &jwtauthn.JwtProvider{
		Issuer: iss, Audiences: aud, Forward: true, PayloadInMetadata: "payload",
		FromHeaders:         []*jwtauthn.JwtHeader{{Name: "Authorization", ValuePrefix: "Bearer "}},
		ClaimToHeaders:      []*jwtauthn.JwtClaimToHeader{{HeaderName: "kubeflow-userid", ClaimName: "email"}, {HeaderName: "kubeflow-groups", ClaimName: "groups"}},
		JwksSourceSpecifier: &jwtauthn.JwtProvider_LocalJwks{LocalJwks: &core.DataSource{Specifier: &core.DataSource_InlineString{InlineString: s.jwks}}},
	}
	return filter(t, "envoy.filters.http.jwt_authn", &jwtauthn.JwtAuthentication{
		Providers: map[string]*jwtauthn.JwtProvider{"origins-0": p},
		Rules: []*jwtauthn.RequirementRule{{
			Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}},
			RequirementType: &jwtauthn.RequirementRule_Requires{Requires: &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_RequiresAny{
				RequiresAny: &jwtauthn.JwtRequirementOrList{Requirements: []*jwtauthn.JwtRequirement{
					{RequiresType: &jwtauthn.JwtRequirement_ProviderName{ProviderName: "origins-0"}},
					{RequiresType: &jwtauthn.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}},
				}}}}},
		}},
		BypassCorsPreflight: true,
	})
}

// denyWithoutPrincipal is Istio's DENY for notRequestPrincipals ["*"] on
// notPaths /oauth2/*: the principal is iss/sub from jwt_authn's metadata.
func denyWithoutPrincipal(t testing.TB) *hcm.HttpFilter {
	claim := func(c string) *rbacpb.Principal {
		return &rbacpb.Principal{Identifier: &rbacpb.Principal_Metadata{Metadata: &matcher.MetadataMatcher{
			Filter: "envoy.filters.http.jwt_authn",
			Path:   []*matcher.MetadataMatcher_PathSegment{{Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: "payload"}}, {Segment: &matcher.MetadataMatcher_PathSegment_Key{Key: c}}},
			Value: &matcher.ValueMatcher{MatchPattern: &matcher.ValueMatcher_StringMatch{StringMatch: &matcher.StringMatcher{
				MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: ".+"}}}}}}}}
	}
	princ := &rbacpb.Principal{Identifier: &rbacpb.Principal_AndIds{AndIds: &rbacpb.Principal_Set{Ids: []*rbacpb.Principal{{
		Identifier: &rbacpb.Principal_NotId{NotId: &rbacpb.Principal{Identifier: &rbacpb.Principal_AndIds{AndIds: &rbacpb.Principal_Set{Ids: []*rbacpb.Principal{claim("iss"), claim("sub")}}}}}}}}}}
	perm := &rbacpb.Permission{Rule: &rbacpb.Permission_NotRule{NotRule: &rbacpb.Permission{Rule: &rbacpb.Permission_UrlPath{UrlPath: &matcher.PathMatcher{Rule: &matcher.PathMatcher_Path{Path: prefix("/oauth2/")}}}}}}
	return filter(t, "envoy.filters.http.rbac", &rbac.RBAC{Rules: &rbacpb.RBAC{Action: rbacpb.RBAC_DENY, Policies: map[string]*rbacpb.Policy{
		"ns[istio-system]-policy[require-jwt]-rule[0]": {Permissions: []*rbacpb.Permission{perm}, Principals: []*rbacpb.Principal{princ}}}}})
}

const iss = "https://issuer.example"

// authz is a stand-in authorization server: a "session=ok" cookie is allowed
// with an ID token; "session=5xx" fails; anything else is sent to sign in.
func authzServer(t testing.TB, s *signer, calls *[]*http.Request) string {
	return handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		*calls = append(*calls, r)
		switch {
		case strings.Contains(r.Header.Get("Cookie"), "session=ok"):
			w.Header().Set("Authorization", "Bearer "+s.token(t, map[string]any{"iss": iss, "sub": "u1", "email": "alice@example.com", "groups": []string{"a", "b"}}))
			w.Header().Set("X-Auth-Request-Email", "alice@example.com")
			w.Header().Set("X-Envoy-Auth-Headers-To-Remove", "x-spoof, x-other")
			w.Header().Set("X-Not-Allowed", "1")
		case strings.Contains(r.Header.Get("Cookie"), "session=5xx"):
			w.WriteHeader(503)
		default:
			w.Header().Set("Location", "/oauth2/start?rd="+r.URL.Path)
			w.Header().Set("X-Secret-Internal", "no")
			w.Header().Set("Set-Cookie", "csrf=1")
			w.WriteHeader(302)
			w.Write([]byte("sign in"))
		}
	})
}

func meshauthChain(t testing.TB, s *signer, mod func(*extauthz.ExtAuthz)) *XDS {
	return xdsWith(t, []*hcm.HttpFilter{customShadow(t), extAuthzHTTP(t, mod), jwtFilterFor(t, iss, s, nil), denyWithoutPrincipal(t)},
		&route.VirtualHost{Name: "*:80", Domains: []string{"*"}, Routes: []*route.Route{routeTo("/oauth2/", authzCluster), routeTo("/", dashCluster)}})
}

func TestChainSessionAllowed(t *testing.T) {
	s := newSigner(t, "k1")
	var calls []*http.Request
	authz := authzServer(t, s, &calls)
	gw := serveGateway(t, meshauthChain(t, s, nil), map[string]string{dashCluster: echoServer(t), authzCluster: authz})

	r := do(t, "GET", gw+"/notebooks/?ns=a", map[string]string{"Cookie": "session=ok", "kubeflow-userid": "admin@evil", "X-Spoof": "1", "X-Unlisted": "kept", "X-Envoy-Internal": "true"})
	if r.status != 200 || r.seen == nil {
		t.Fatalf("session request = %d %s", r.status, r.body)
	}
	h := r.seen.Header
	if got := h.Get("Kubeflow-Userid"); got != "alice@example.com" {
		t.Errorf("kubeflow-userid = %q, want the verified claim", got)
	}
	b, _ := base64.StdEncoding.DecodeString(h.Get("Kubeflow-Groups"))
	var groups []string
	if json.Unmarshal(b, &groups) != nil || strings.Join(groups, ",") != "a,b" {
		t.Errorf("kubeflow-groups = %q, want base64 of the JSON list", h.Get("Kubeflow-Groups"))
	}
	if h.Get("X-Spoof") != "" {
		t.Errorf("x-envoy-auth-headers-to-remove not honoured: %q", h.Get("X-Spoof"))
	}
	if h.Get("X-Not-Allowed") != "" || h.Get("X-Auth-Request-Email") != "alice@example.com" {
		t.Errorf("allowed_upstream_headers: X-Not-Allowed %q, X-Auth-Request-Email %q", h.Get("X-Not-Allowed"), h.Get("X-Auth-Request-Email"))
	}
	if h.Get("X-Unlisted") != "kept" || h.Get("X-Envoy-Internal") != "" {
		t.Errorf("client headers: X-Unlisted %q (kept by Envoy), X-Envoy-Internal %q (removed at the edge)", h.Get("X-Unlisted"), h.Get("X-Envoy-Internal"))
	}
	if !strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
		t.Errorf("forward: true keeps the token, got %q", h.Get("Authorization"))
	}
	// The check carried the allowed headers and the always-sent ones only.
	c := calls[len(calls)-1]
	if c.URL.RequestURI() != "/notebooks/?ns=a" || c.Header.Get("Cookie") == "" || c.Header.Get("X-Unlisted") != "" || c.Header.Get("Kubeflow-Userid") != "" {
		t.Errorf("check request %s headers %v", c.URL.RequestURI(), c.Header)
	}
}

func TestChainDenyAndErrors(t *testing.T) {
	s := newSigner(t, "k1")
	var calls []*http.Request
	authz := authzServer(t, s, &calls)
	gw := serveGateway(t, meshauthChain(t, s, nil), map[string]string{dashCluster: echoServer(t), authzCluster: authz})

	r := do(t, "GET", gw+"/", nil)
	if r.status != 302 || r.header.Get("Location") != "/oauth2/start?rd=/" || r.body != "sign in" {
		t.Errorf("anonymous = %d %q %q, want the authorization server's redirect", r.status, r.header.Get("Location"), r.body)
	}
	if r.header.Get("X-Secret-Internal") != "" || r.header.Get("Set-Cookie") == "" {
		t.Errorf("allowed_client_headers: X-Secret-Internal %q must not pass, Set-Cookie %q must", r.header.Get("X-Secret-Internal"), r.header.Get("Set-Cookie"))
	}
	if r := do(t, "GET", gw+"/", map[string]string{"Cookie": "session=5xx"}); r.status != 403 {
		t.Errorf("authorization server 5xx = %d, want 403 (status_on_error default)", r.status)
	}
	// /oauth2/ is excluded from the CUSTOM shadow rules: no check, no DENY.
	n := len(calls)
	if r := do(t, "GET", gw+"/oauth2/start", nil); r.status != 302 && len(calls) != n+1 {
		t.Errorf("/oauth2/start = %d", r.status)
	}
	if len(calls) != n+1 || calls[n].URL.Path != "/oauth2/start" {
		t.Errorf("/oauth2/start must be routed to the cluster, not checked: %d calls", len(calls)-n)
	}
}

func TestChainBearer(t *testing.T) {
	s := newSigner(t, "k1")
	other := &signer{Key: testissuer.Foreign(t, s.Key)} // the trusted kid on key material the JWKS lacks
	var calls []*http.Request
	authz := authzServer(t, s, &calls)
	gw := serveGateway(t, meshauthChain(t, s, nil), map[string]string{dashCluster: echoServer(t), authzCluster: authz})
	bearer := func(tok string, extra map[string]string) result {
		h := map[string]string{"Authorization": "Bearer " + tok}
		for k, v := range extra {
			h[k] = v
		}
		return do(t, "GET", gw+"/api/x", h)
	}
	good := s.token(t, map[string]any{"iss": iss, "sub": "robot", "email": "robot@example.com"})
	r := bearer(good, map[string]string{"kubeflow-groups": "admins"})
	if r.status != 200 || r.seen.Header.Get("Kubeflow-Userid") != "robot@example.com" || len(r.seen.Header.Values("Kubeflow-Groups")) != 0 {
		t.Errorf("valid bearer = %d %s, want 200 with the user and no client-sent groups", r.status, r.body)
	}
	if len(calls) != 0 {
		t.Errorf("a request with Authorization skipped ext_authz in the shadow rules, but %d checks were made", len(calls))
	}
	cases := map[string]struct {
		tok  string
		want int
	}{
		"expired":        {s.token(t, map[string]any{"iss": iss, "sub": "r", "exp": time.Now().Add(-2 * time.Minute).Unix()}), 401},
		"foreign key":    {other.token(t, map[string]any{"iss": iss, "sub": "r"}), 401},
		"garbage":        {"not-a-jwt", 401},
		"unknown issuer": {s.token(t, map[string]any{"iss": "https://other", "sub": "r"}), 403}, // allow_missing passes it; the DENY refuses
	}
	for name, c := range cases {
		if r := bearer(c.tok, nil); r.status != c.want {
			t.Errorf("%s token = %d %q, want %d", name, r.status, r.body, c.want)
		} else if c.want == 401 && !strings.Contains(r.header.Get("Www-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: www-authenticate %q", name, r.header.Get("Www-Authenticate"))
		}
	}
	// Not "Bearer ": no token extracted → anonymous → DENY.
	if r := do(t, "GET", gw+"/api/x", map[string]string{"Authorization": "bearer " + good}); r.status != 403 {
		t.Errorf("lower-case bearer prefix = %d, want 403 (no token, no principal)", r.status)
	}
}

func TestExtAuthzOptions(t *testing.T) {
	s := newSigner(t, "k1")
	var calls []*http.Request
	authz := authzServer(t, s, &calls)
	dash := echoServer(t)
	t.Run("failure_mode_allow", func(t *testing.T) {
		gw := serveGateway(t, meshauthChain(t, s, func(c *extauthz.ExtAuthz) { c.FailureModeAllow = true }),
			map[string]string{dashCluster: dash, authzCluster: "127.0.0.1:1"})
		// Allowed by ext_authz, then refused by the DENY (no principal).
		if r := do(t, "GET", gw+"/x", nil); r.status != 403 || r.body != "RBAC: access denied" {
			t.Errorf("fail open then DENY = %d %q", r.status, r.body)
		}
	})
	t.Run("status_on_error", func(t *testing.T) {
		gw := serveGateway(t, meshauthChain(t, s, func(c *extauthz.ExtAuthz) {
			c.StatusOnError = &typev3.HttpStatus{Code: typev3.StatusCode_ServiceUnavailable}
		}), map[string]string{dashCluster: dash, authzCluster: "127.0.0.1:1"})
		if r := do(t, "GET", gw+"/x", nil); r.status != 503 {
			t.Errorf("unreachable authorization server = %d, want status_on_error 503", r.status)
		}
	})
	t.Run("path_prefix", func(t *testing.T) {
		gw := serveGateway(t, meshauthChain(t, s, func(c *extauthz.ExtAuthz) { c.GetHttpService().PathPrefix = "/check" }),
			map[string]string{dashCluster: dash, authzCluster: authz})
		do(t, "GET", gw+"/a?b=c", map[string]string{"Cookie": "session=ok"})
		if got := calls[len(calls)-1].URL.RequestURI(); got != "/check/a?b=c" {
			t.Errorf("check path = %q", got)
		}
	})
	t.Run("per_route_disabled", func(t *testing.T) {
		x := meshauthChain(t, s, nil)
		r0 := routeTo("/public/", dashCluster)
		r0.TypedPerFilterConfig = map[string]*anypb.Any{"envoy.filters.http.ext_authz": mustAny(t, &extauthz.ExtAuthzPerRoute{Override: &extauthz.ExtAuthzPerRoute_Disabled{Disabled: true}})}
		vh := x.Routes[0].VirtualHosts[0]
		vh.Routes = append([]*route.Route{r0}, vh.Routes...)
		gw := serveGateway(t, x, map[string]string{dashCluster: dash, authzCluster: authz})
		n := len(calls)
		if r := do(t, "GET", gw+"/public/x", nil); r.status != 403 || len(calls) != n {
			t.Errorf("disabled ext_authz: %d, %d checks (want no check, DENY 403)", r.status, len(calls)-n)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		slow := handlerServer(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(time.Second) })
		gw := serveGateway(t, meshauthChain(t, s, func(c *extauthz.ExtAuthz) {
			c.GetHttpService().ServerUri.Timeout = durationpb.New(50 * time.Millisecond)
		}), map[string]string{dashCluster: dash, authzCluster: slow})
		start := time.Now()
		if r := do(t, "GET", gw+"/x", nil); r.status != 403 || time.Since(start) > 900*time.Millisecond {
			t.Errorf("slow authorization server = %d after %v, want 403 within the timeout", r.status, time.Since(start))
		}
	})
}
