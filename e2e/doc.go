// Package e2e proves the configuration authconfig-fn emits on the real
// programs: it renders an AuthConfig written for loopback, extracts the
// oauth2-proxy and Dex configs from the rendered components, boots the pinned
// oauth2-proxy and Dex (built by `make upstream`) and the repository's
// check-server (built by `make build`), puts a small same-origin front in
// front of them that stands in for the Istio ingress gateway, and walks the
// flows a user walks: login, API requests without a session, logout, machine
// tokens, delegation to check-server, and validation.
//
// Everything lives in _test.go files; this file only names the package.
// See docs/e2e.md.
package e2e
