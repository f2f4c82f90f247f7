//go:build tools

// Package tools pins oauth2-proxy for the e2e tests; `make upstream` builds
// github.com/oauth2-proxy/oauth2-proxy/v7 from this module into ./bin/oauth2-proxy.
package tools

import _ "github.com/oauth2-proxy/oauth2-proxy/v7"
