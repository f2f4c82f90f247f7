package generators

import "meshauth.dev/meshauth/fn/api"

// CheckServer is the check-server component. (Filled in with the
// check-server's configuration format.)
func CheckServer(c api.AuthConfig) (Component, error) {
	return Component{Name: "check-server", Doc: "check-server: the bundled ext_authz service"}, nil
}
