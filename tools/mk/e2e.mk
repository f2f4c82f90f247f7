# End-to-end flows on the real oauth2-proxy and Dex with the function's
# output (e2e/, docs/e2e.md). `make unit` runs them too, as part of
# `go test ./...`; this target builds what they need and runs only them.

.PHONY: e2e
e2e: build upstream istiod-xds ## e2e flows: real oauth2-proxy + Dex (+ check-server) booted from the rendered components, the gateway on istiod's xDS
	$(GO) test -count=1 -timeout 10m -v ./e2e/

.PHONY: e2e-mutations
e2e-mutations: build upstream istiod-xds ## break one generated value at a time; every mutation must make an e2e flow fail
	e2e/mutations.sh
