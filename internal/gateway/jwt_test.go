package gateway

import (
	"net/http"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtauthn "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
)

// istioTwoProviders is the requirement istiod writes for two issuers:
// any of {P0, P1, all of {any{P0, allow_missing}, any{P1, allow_missing}}}.
func istioTwoProviders(t testing.TB, p0, p1 *jwtauthn.JwtProvider) *hcm.HttpFilter {
	name := func(n string) *jwtauthn.JwtRequirement {
		return &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_ProviderName{ProviderName: n}}
	}
	orMissing := func(n string) *jwtauthn.JwtRequirement {
		return &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_RequiresAny{RequiresAny: &jwtauthn.JwtRequirementOrList{
			Requirements: []*jwtauthn.JwtRequirement{name(n), {RequiresType: &jwtauthn.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}}}}}}
	}
	req := &jwtauthn.JwtRequirement{RequiresType: &jwtauthn.JwtRequirement_RequiresAny{RequiresAny: &jwtauthn.JwtRequirementOrList{
		Requirements: []*jwtauthn.JwtRequirement{name("origins-0"), name("origins-1"), {RequiresType: &jwtauthn.JwtRequirement_RequiresAll{
			RequiresAll: &jwtauthn.JwtRequirementAndList{Requirements: []*jwtauthn.JwtRequirement{orMissing("origins-0"), orMissing("origins-1")}}}}}}}}
	return filter(t, "envoy.filters.http.jwt_authn", &jwtauthn.JwtAuthentication{
		Providers: map[string]*jwtauthn.JwtProvider{"origins-0": p0, "origins-1": p1},
		Rules: []*jwtauthn.RequirementRule{{Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}},
			RequirementType: &jwtauthn.RequirementRule_Requires{Requires: req}}},
	})
}

func provider(iss string, jwks *core.DataSource, aud ...string) *jwtauthn.JwtProvider {
	return &jwtauthn.JwtProvider{Issuer: iss, Audiences: aud, PayloadInMetadata: "payload",
		FromHeaders:         []*jwtauthn.JwtHeader{{Name: "Authorization", ValuePrefix: "Bearer "}},
		ClaimToHeaders:      []*jwtauthn.JwtClaimToHeader{{HeaderName: "x-user", ClaimName: "sub"}, {HeaderName: "x-nested", ClaimName: "a.b"}, {HeaderName: "x-num", ClaimName: "n"}},
		JwksSourceSpecifier: &jwtauthn.JwtProvider_LocalJwks{LocalJwks: jwks}}
}

func inline(s string) *core.DataSource {
	return &core.DataSource{Specifier: &core.DataSource_InlineString{InlineString: s}}
}

func TestJWTTwoProviders(t *testing.T) {
	a, b := newSigner(t, "a"), newSigner(t, "b")
	f := istioTwoProviders(t, provider("https://a", inline(a.jwks)), provider("https://b", inline(b.jwks), "svc"))
	gw := serveGateway(t, xdsWith(t, []*hcm.HttpFilter{f}), map[string]string{dashCluster: echoServer(t)})
	bearer := func(tok string) result {
		return do(t, "GET", gw+"/", map[string]string{"Authorization": "Bearer " + tok, "X-User": "spoof"})
	}
	if r := bearer(a.token(t, map[string]any{"iss": "https://a", "sub": "alice", "a": map[string]any{"b": "deep"}, "n": 42})); r.status != 200 ||
		r.seen.Header.Get("X-User") != "alice" || r.seen.Header.Get("X-Nested") != "deep" || r.seen.Header.Get("X-Num") != "42" {
		t.Errorf("issuer a = %d %+v", r.status, r.seen)
	}
	if r := bearer(b.token(t, map[string]any{"iss": "https://b", "sub": "bob", "aud": "svc"})); r.status != 200 || r.seen.Header.Get("X-User") != "bob" {
		t.Errorf("issuer b = %d %+v", r.status, r.seen)
	}
	if r := bearer(b.token(t, map[string]any{"iss": "https://b", "sub": "bob", "aud": "other"})); r.status != 403 || r.body != string(jwtAudience) {
		t.Errorf("issuer b, wrong audience = %d %q, want 403 (Envoy answers 403 to an audience mismatch)", r.status, r.body)
	}
	if r := bearer(a.token(t, map[string]any{"iss": "https://b", "sub": "mallory", "aud": "svc"})); r.status != 401 {
		t.Errorf("issuer b signed with a's key = %d, want 401", r.status)
	}
	if r := bearer(a.token(t, map[string]any{"iss": "https://c", "sub": "x"})); r.status != 200 || r.seen.Header.Get("X-User") != "" {
		t.Errorf("unknown issuer = %d %+v, want passed on as anonymous (allow_missing) with x-user removed", r.status, r.seen)
	}
	if r := do(t, "GET", gw+"/", map[string]string{"X-User": "spoof"}); r.status != 200 || r.seen.Header.Get("X-User") != "" {
		t.Errorf("no token: %d, x-user %q must be removed", r.status, r.seen.Header.Get("X-User"))
	}
	// forward: false (the default) removes the token.
	if r := bearer(a.token(t, map[string]any{"iss": "https://a", "sub": "alice"})); r.seen.Header.Get("Authorization") != "" {
		t.Errorf("forward false kept Authorization %q", r.seen.Header.Get("Authorization"))
	}
}

func TestJWTRemoteJWKS(t *testing.T) {
	s := newSigner(t, "r")
	calls := 0
	jwks := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path != "/keys" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(s.jwks))
	})
	p := provider("https://r", nil)
	p.JwksSourceSpecifier = &jwtauthn.JwtProvider_RemoteJwks{RemoteJwks: &jwtauthn.RemoteJwks{
		HttpUri:       &core.HttpUri{Uri: "http://issuer.example/keys", HttpUpstreamType: &core.HttpUri_Cluster{Cluster: authzCluster}, Timeout: durationpb.New(time.Second)},
		CacheDuration: durationpb.New(time.Minute)}}
	f := istioTwoProviders(t, p, provider("https://a", inline(newSigner(t, "a").jwks)))
	gw := serveGateway(t, xdsWith(t, []*hcm.HttpFilter{f}), map[string]string{dashCluster: echoServer(t), authzCluster: jwks})
	for i := 0; i < 3; i++ {
		if r := do(t, "GET", gw+"/", map[string]string{"Authorization": "Bearer " + s.token(t, map[string]any{"iss": "https://r", "sub": "x"})}); r.status != 200 {
			t.Fatalf("remote JWKS token = %d %q", r.status, r.body)
		}
	}
	if calls != 1 {
		t.Errorf("JWKS fetched %d times, want once (cache_duration)", calls)
	}
}

func TestClaimHeaderValue(t *testing.T) {
	claims := map[string]any{"s": "x", "b": true, "f": 1.5, "i": float64(7), "l": []any{"a", "b"}, "o": map[string]any{"k": "v"}}
	for name, want := range map[string]string{"s": "x", "b": "true", "f": "1.5", "i": "7", "l": "WyJhIiwiYiJd", "o": "eyJrIjoidiJ9", "o.k": "v"} {
		if got, ok := claimHeaderValue(claims, name); !ok || got != want {
			t.Errorf("claim %s = %q, want %q", name, got, want)
		}
	}
	if _, ok := claimHeaderValue(claims, "missing"); ok {
		t.Error("a missing claim produced a header")
	}
}
