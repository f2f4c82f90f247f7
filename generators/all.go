package generators

import "meshauth.dev/meshauth/fn/api"

// Names lists every component meshauth can emit, in output order. The
// function owns these directories under the components folder.
var Names = []string{"oauth2-proxy", "dex-clients", "istio-external-auth", "istiod-jwt-refresh", "logout", "check-server"}

// All generates the components of a defaulted, valid AuthConfig.
func All(c api.AuthConfig) ([]Component, error) {
	var out []Component
	o, err := OAuth2Proxy(c)
	if err != nil {
		return nil, err
	}
	out = append(out, o)
	d, err := DexClients(c)
	if err != nil {
		return nil, err
	}
	if d != nil {
		out = append(out, *d)
	}
	i, err := IstioExternalAuth(c)
	if err != nil {
		return nil, err
	}
	out = append(out, i)
	if c.Spec.Istio.ManagedBy != api.ManagedByExternal {
		out = append(out, IstiodJWTRefresh(c))
	}
	l, err := Logout(c)
	if err != nil {
		return nil, err
	}
	out = append(out, l)
	if c.Spec.Authorizer == api.AuthorizerCheckServer {
		cs, err := CheckServer(c)
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}
