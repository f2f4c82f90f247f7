//go:build tools

package istiod

import (
	_ "istio.io/istio/pilot/test/xds"
	_ "istio.io/istio/pkg/config/crd"
	_ "istio.io/istio/pkg/config/mesh"
	_ "istio.io/istio/pkg/config/validation/agent"
	_ "istio.io/istio/pkg/config/schema/collections"
)
