//go:build tools

// Package tools pins Ory Hydra (an OpenID-certified provider) for the e2e
// tests; `make hydra` builds github.com/ory/hydra/v2 from this module into
// ./bin/hydra (cgo, sqlite tag: in-memory storage).
package tools

import _ "github.com/ory/hydra/v2"
