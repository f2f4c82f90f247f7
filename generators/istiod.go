package generators

import "meshauth.dev/meshauth/fn/api"

// IstiodJWTRefresh is the istiod-jwt-refresh component. istiod fetches an
// issuer's JWKS once at start; if Dex was not up it serves a placeholder key
// for PILOT_JWT_PUB_KEY_REFRESH_INTERVAL (20m by default), and every login in
// that window fails with "Jwks doesn't have key to match kid or alg".
func IstiodJWTRefresh(c api.AuthConfig) Component {
	i := c.Spec.Istio.Istiod
	return Component{
		Doc: "istiod: refetch JWKS every " + c.Spec.Istio.JWKSRefreshInterval + " so a key fetched before Dex was up is replaced quickly",
		Patches: []Patch{envPatch{
			target:    Target{"apps/v1", "Deployment", i.Namespace, i.Deployment},
			container: i.Container,
			env:       []envVar{{Name: jwksRefreshEnv, Value: c.Spec.Istio.JWKSRefreshInterval}},
			summary:   "sets PILOT_JWT_PUB_KEY_REFRESH_INTERVAL on istiod",
		}},
	}
}
