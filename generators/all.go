package generators

import (
	"errors"

	"meshauth.dev/meshauth/fn/api"
)

// registry is every component meshauth can emit, in output order: its name
// (the directory the function owns under the components folder) and its
// generator, which returns nil when the AuthConfig does not call for it.
// The names are written here only; All stamps them on what it returns.
var registry = []struct {
	name     string
	generate func(api.AuthConfig) (*Component, error)
}{
	{"oauth2-proxy", forGatewayAPI(always(OAuth2Proxy), oauth2ProxyGatewayAPI)},
	{"dex-clients", forGatewayAPI(DexClients, dexClientsGatewayAPI)},
	{"istio-external-auth", forGatewayAPI(always(IstioExternalAuth), istioExternalAuthGatewayAPI)},
	{"istiod-jwt-refresh", func(c api.AuthConfig) (*Component, error) {
		if c.Spec.Istio.ManagedBy == api.ManagedByExternal {
			return nil, nil
		}
		comp := IstiodJWTRefresh(c)
		return &comp, nil
	}},
	{"logout", forGatewayAPI(always(Logout), logoutGatewayAPI)},
	{"check-server", func(c api.AuthConfig) (*Component, error) {
		if c.Spec.Authorizer != api.AuthorizerCheckServer {
			return nil, nil
		}
		return always(CheckServer)(c)
	}},
	{"large-tokens", func(c api.AuthConfig) (*Component, error) { return LargeTokens(c), nil }},
}

// Names lists every component meshauth can emit, in output order.
var Names = func() []string {
	names := make([]string, len(registry))
	for i, r := range registry {
		names[i] = r.name
	}
	return names
}()

// All generates the components of an AuthConfig that api.Load (or
// api.LoadValue) accepted; the generators take its URLs as Load parsed them.
func All(c api.AuthConfig) ([]Component, error) {
	if c.Spec.URLs().Public == nil {
		return nil, errors.New("generators.All needs an AuthConfig that api.Load accepted (it carries the parsed spec.publicURL)")
	}
	var out []Component
	for _, r := range registry {
		comp, err := r.generate(c)
		if err != nil {
			return nil, err
		}
		if comp != nil {
			comp.Name = r.name
			out = append(out, *comp)
		}
	}
	return out, nil
}

// always adapts a generator whose component is always emitted.
func always(gen func(api.AuthConfig) (Component, error)) func(api.AuthConfig) (*Component, error) {
	return func(c api.AuthConfig) (*Component, error) {
		comp, err := gen(c)
		if err != nil {
			return nil, err
		}
		return &comp, nil
	}
}
