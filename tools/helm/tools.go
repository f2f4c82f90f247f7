//go:build tools

// Package tools pins Helm for the Helm-output tests; `make helm` builds
// helm.sh/helm/v4/cmd/helm from this module into ./bin/helm (only
// `helm template` is used: no cluster).
package tools

import _ "helm.sh/helm/v4/cmd/helm"
