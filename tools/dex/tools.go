//go:build tools

// Package tools pins Dex for the e2e tests; `make upstream` builds
// github.com/dexidp/dex/cmd/dex from this module into ./bin/dex.
//
// Dex v2.45.1 has no /v2 module path, so it is required by the pseudo-version
// of the v2.45.1 tag commit. Dex's own go.mod replaces its nested module
// github.com/dexidp/dex/api/v2 with a relative path (./api/v2) that does not
// exist outside Dex's repository; here the published api/v2 version Dex
// requires is used instead (see go.mod).
package tools

import _ "github.com/dexidp/dex/cmd/dex"
