package api

import (
	"net/url"
	"slices"
)

// InClusterAPIServerHosts are the names a pod reaches its own API server
// by; an issuer on one of them is the cluster's service-account issuer.
var InClusterAPIServerHosts = []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}

// JWKSProxyExample is Kubeflow's cluster-jwks-proxy (common/oauth2-proxy/
// components/cluster-jwks-proxy): `kubectl proxy` serving the API server's
// /openid/v1/jwks without credentials, in-cluster over http.
const JWKSProxyExample = "http://cluster-jwks-proxy.istio-system.svc.cluster.local/openid/v1/jwks"

// InClusterAPIServer says whether rawURL names the in-cluster API server.
func InClusterAPIServer(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && slices.Contains(InClusterAPIServerHosts, u.Hostname())
}

// validateInClusterIssuers refuses a machine issuer whose keys nobody in the
// generated stack can fetch. The API server serves /openid/v1/jwks (and
// discovery) only to authenticated callers, behind the cluster CA. With
// authorizer oauth2-proxy, istiod fetches the JWKS of every
// RequestAuthentication with neither a token nor that CA, so every token of
// the issuer would be refused; and without Dex, oauth2-proxy discovers each
// extra_jwt_issuers entry at start with the system roots and exits when
// that fails. check-server fetches with its own token and the cluster CA,
// so it needs nothing more.
func validateInClusterIssuers(s Spec, errs *FieldErrors) {
	if s.Authorizer != AuthorizerOAuth2Proxy {
		return
	}
	for i, m := range s.MachineIssuers {
		if !InClusterAPIServer(m.Issuer) {
			continue
		}
		at := idx("spec.machineIssuers", i)
		switch {
		case m.JWKSURI == "" || InClusterAPIServer(m.JWKSURI):
			errs.add(at+".jwksURI", "the cluster's service-account issuer %q serves its keys only to authenticated callers behind the cluster CA, and istiod fetches JWKS with neither, so every token would be refused; "+
				"set jwksURI to a proxy that serves /openid/v1/jwks without credentials (Kubeflow's cluster-jwks-proxy: %s), or use authorizer: check-server, which fetches the keys with its own token and the cluster CA", m.Issuer, JWKSProxyExample)
		case s.Dex == nil:
			errs.add(at+".issuer", "%q: without Dex, oauth2-proxy verifies machine tokens itself (extra_jwt_issuers) and discovers the issuer at start with the system roots, which do not trust the cluster CA, so it would not start; "+
				"use authorizer: check-server for the cluster's service-account tokens", m.Issuer)
		}
	}
}
