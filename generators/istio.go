package generators

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/checkserver/access"
	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators/merge"
)

// IstioExternalAuth is the istio-external-auth component: the ext_authz
// extension provider merged into the mesh config, the CUSTOM policy on the
// gateway, and JWT trust for the login issuer and machine issuers.
func IstioExternalAuth(c api.AuthConfig) (Component, error) {
	s := c.Spec
	provider, err := extensionProvider(s)
	if err != nil {
		return Component{}, err
	}
	gw := s.Gateway
	selector := &typev1beta1.WorkloadSelector{MatchLabels: gw.Selector}
	custom := &security.Rule{To: []*security.Rule_To{{Operation: &security.Operation{NotPaths: oauth2ProxyNotPaths}}}}
	if s.Authorizer == api.AuthorizerCheckServer {
		// check-server is asked about every path and skips the public ones
		// itself, only for plain paths on a segment boundary: Istio's
		// prefix notPaths would also exclude "/dex//x" or, under
		// pathNormalization NONE, "/dex/%2e%2e/x" — wider than check-server.
		// It also sees the sign-out path, where it drops cached sessions.
		custom = &security.Rule{}
	}
	if s.Authorizer == api.AuthorizerOAuth2Proxy {
		// Requests that carry a token skip oauth2-proxy; Istio verifies the
		// token (RequestAuthentication) and the DENY policy below refuses
		// requests without a verified one.
		custom.When = append([]*security.Condition{{Key: "request.headers[authorization]", NotValues: []string{"*"}}}, notPublic(s)...)
		custom.When = append(custom.When, notOnMachineHost(s)...)
	}
	rules := access.Compile(AccessPolicy(s))
	var out collect
	out.add(istioObject("security.istio.io/v1", "AuthorizationPolicy", gw.Namespace, "istio-ingressgateway-"+s.Istio.ProviderName, &security.AuthorizationPolicy{
		Selector: selector,
		Action:   security.AuthorizationPolicy_CUSTOM,
		ActionDetail: &security.AuthorizationPolicy_Provider{
			Provider: &security.AuthorizationPolicy_ExtensionProvider{Name: s.Istio.ProviderName},
		},
		Rules: []*security.Rule{custom},
	}))
	if s.Authorizer == api.AuthorizerOAuth2Proxy {
		out.add(istioObject("security.istio.io/v1", "AuthorizationPolicy", gw.Namespace, "istio-ingressgateway-require-jwt", &security.AuthorizationPolicy{
			Selector: selector,
			Action:   security.AuthorizationPolicy_DENY,
			Rules: append([]*security.Rule{{
				From: []*security.Rule_From{{Source: &security.Source{NotRequestPrincipals: []string{"*"}}}},
				To:   []*security.Rule_To{{Operation: &security.Operation{NotPaths: oauth2ProxyNotPaths}}},
				When: notPublic(s),
			}}, unverifiedEmailRule(s)...),
		}))
		for _, ra := range requestAuthentications(s) {
			out.add(istioObject("security.istio.io/v1", "RequestAuthentication", gw.Namespace, ra.name, &security.RequestAuthentication{
				Selector: selector,
				JwtRules: []*security.JWTRule{ra.rule},
			}))
		}
	}
	out.add(identityHeaderFilter(s))
	if classifiesPublicPaths(s) {
		out.add(publicPathFilter(s, rules))
	}
	if s.Authorizer == api.AuthorizerOAuth2Proxy {
		if f, err := accessFilter(s, rules); f != nil || err != nil {
			out.add(f, err)
		}
		if deny := accessDenyRules(s, rules.Policy); len(deny) > 0 {
			out.add(istioObject("security.istio.io/v1", "AuthorizationPolicy", gw.Namespace, accessPolicyName, &security.AuthorizationPolicy{
				Selector: selector,
				Action:   security.AuthorizationPolicy_DENY,
				Rules:    deny,
			}))
		}
	}
	mesh := s.Istio.Mesh
	comp := Component{
		Doc:       "Istio: the ext_authz provider in the mesh config, the CUSTOM policy on the gateway, JWT trust",
		Resources: out.objs,
	}
	if s.Istio.ManagedBy == api.ManagedByExternal {
		// The provider goes where Istio is installed: IstioInstallSnippet.
		return comp, out.err
	}
	comp.Patches = []Patch{configMapKeyPatch{
		target:  Target{"v1", "ConfigMap", mesh.ConfigMap.Namespace, mesh.ConfigMap.Name},
		key:     mesh.Key,
		summary: "merges the " + s.Istio.ProviderName + " extension provider into the mesh config",
		merge: func(doc string) (string, error) {
			return merge.ExtensionProvider(doc, s.Istio.ProviderName, provider)
		},
		baseline:     meshBaselineFor(s.Istio.Istiod.Namespace, s.Istio.Istiod.Deployment),
		baselineName: baselineMeshName,
	}}
	return comp, out.err
}

// extensionProvider is the mesh config entry Istio's CUSTOM action calls.
func extensionProvider(s api.Spec) (*yaml.RNode, error) {
	timeout, _ := time.ParseDuration(s.Istio.ExtAuthzTimeout)
	p := &meshv1alpha1.MeshConfig_ExtensionProvider{Name: s.Istio.ProviderName}
	switch {
	case s.Authorizer == api.AuthorizerCheckServer && s.CheckServer.Protocol == "grpc":
		p.Provider = &meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExtAuthzGrpc{
			EnvoyExtAuthzGrpc: &meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExternalAuthorizationGrpcProvider{
				Service: serviceHost(checkServerName, s.CheckServer.Namespace),
				Port:    CheckServerGRPCPort,
				Timeout: durationpb.New(timeout),
			}}
	case s.Authorizer == api.AuthorizerCheckServer:
		p.Provider = &meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExtAuthzHttp{
			EnvoyExtAuthzHttp: &meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExternalAuthorizationHttpProvider{
				Service: serviceHost(checkServerName, s.CheckServer.Namespace),
				Port:    CheckServerHTTPPort,
				Timeout: durationpb.New(timeout),
				// The protocol as docs/check-server.md states it: identity
				// headers are removed through x-envoy-auth-headers-to-remove,
				// refreshed session cookies go back to the browser on allow.
				IncludeRequestHeadersInCheck: []string{"accept", "authorization", "cookie", "x-requested-with"},
				HeadersToUpstreamOnAllow:     []string{s.IdentityHeaders.User.Header, s.IdentityHeaders.Groups.Header},
				HeadersToDownstreamOnAllow:   []string{"set-cookie"},
				HeadersToDownstreamOnDeny:    []string{"content-type", "location", "retry-after", "set-cookie", "www-authenticate"},
			}}
	default:
		p.Provider = &meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExtAuthzHttp{
			EnvoyExtAuthzHttp: &meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExternalAuthorizationHttpProvider{
				Service: serviceHost(oauth2ProxyName, s.OAuth2Proxy.Namespace),
				Port:    80,
				Timeout: durationpb.New(timeout),
				// oauth2-proxy needs the session cookie; it answers with the
				// ID token as Authorization, which RequestAuthentication then
				// verifies and maps to the identity headers: the only header
				// an upstream needs from the answer. A session it refreshed
				// comes back as set-cookie on the allow: without it the
				// browser keeps the old cookie, whose refresh token the IdP
				// has rotated, and the next refresh logs the user out.
				IncludeRequestHeadersInCheck: []string{"authorization", "cookie"},
				HeadersToUpstreamOnAllow:     []string{"authorization"},
				HeadersToDownstreamOnAllow:   []string{"set-cookie"},
				HeadersToDownstreamOnDeny:    []string{"content-type", "set-cookie"},
			}}
	}
	m, err := protoToMap(p)
	if err != nil {
		return nil, err
	}
	return fromMap(m)
}

type requestAuthentication struct {
	name string
	rule *security.JWTRule
}

// requestAuthentications trusts the login issuer and every machine issuer,
// copying the identity claims into the identity headers.
func requestAuthentications(s api.Spec) []requestAuthentication {
	h := s.IdentityHeaders
	rule := func(issuer, jwks string, audiences []string, userClaim string) *security.JWTRule {
		return &security.JWTRule{
			Issuer:               issuer,
			JwksUri:              jwks,
			Audiences:            audiences,
			ForwardOriginalToken: true,
			// Istio ignores an Authorization header without this prefix,
			// treating the request as anonymous.
			FromHeaders: []*security.JWTHeader{{Name: "Authorization", Prefix: "Bearer "}},
			OutputClaimToHeaders: append([]*security.ClaimToHeader{
				{Header: h.User.Header, Claim: userClaim},
				{Header: h.Groups.Header, Claim: h.Groups.Claim},
			}, emailVerifiedHeader(s)...),
		}
	}
	login := "oidc-jwt"
	jwks := ""
	if s.Dex != nil {
		login = "dex-jwt"
		jwks = s.Dex.IssuerURL + "/keys"
	}
	// Pinned to the clients the AuthConfig declares: any other token of the
	// realm/tenant, minted for another client, is refused.
	out := []requestAuthentication{{login, rule(s.OIDC.IssuerURL, jwks, LoginAudiences(s), h.User.Claim)}}
	for _, m := range s.MachineIssuers {
		out = append(out, requestAuthentication{m.Name, rule(m.Issuer, m.JWKSURI, m.Audiences, m.UserClaim)})
	}
	return out
}

// LoginAudiences are the client ids whose login-issuer tokens the gateway
// accepts: oauth2-proxy's and the extra ones the AuthConfig lists.
func LoginAudiences(s api.Spec) []string {
	return append([]string{s.OAuth2Proxy.ClientID}, s.OIDC.Audiences...)
}

// emailVerifiedClaimHeader carries a verified token's email_verified claim
// from jwt_authn to the DENY rule: Istio's request.auth.claims matches
// strings only, and the claim is a boolean; claim_to_headers renders both
// forms as "false". jwt_authn drops a client's copy before verifying, and
// the identity-header filter removes it first thing.
const emailVerifiedClaimHeader = "x-meshauth-email-verified"

// requireVerifiedEmail: a token saying email_verified: false is refused on
// the bearer path as oauth2-proxy refuses it at login, unless the
// AuthConfig admits unverified emails.
func requireVerifiedEmail(s api.Spec) bool {
	return s.OIDC.AllowUnverifiedEmail == nil || !*s.OIDC.AllowUnverifiedEmail
}

func emailVerifiedHeader(s api.Spec) []*security.ClaimToHeader {
	if !requireVerifiedEmail(s) {
		return nil
	}
	return []*security.ClaimToHeader{{Header: emailVerifiedClaimHeader, Claim: "email_verified"}}
}

// unverifiedEmailRule is the DENY rule for a verified token that says its
// email is not.
func unverifiedEmailRule(s api.Spec) []*security.Rule {
	if !requireVerifiedEmail(s) {
		return nil
	}
	return []*security.Rule{{When: []*security.Condition{{Key: "request.headers[" + emailVerifiedClaimHeader + "]", Values: []string{"false"}}}}}
}
