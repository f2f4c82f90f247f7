# Real oauth2-proxy and Dex for the e2e tests, built from the Go module proxy
# through the throwaway wrapper modules in tools/ (each its own go.mod).
# The versions live in internal/versions; its test fails when a wrapper's
# go.mod pins anything else. File targets: a warm run only stats the wrapper
# files; a rebuild after a pin change reuses the Go build cache.

UPSTREAM_BINS := $(BIN)/oauth2-proxy $(BIN)/dex
upstream_version = $(shell sed -n 's/^[[:space:]]*$(1)[[:space:]]*= "\(.*\)"/\1/p' internal/versions/versions.go)

.PHONY: upstream
upstream: $(UPSTREAM_BINS) ## build the pinned oauth2-proxy and Dex into ./bin (for e2e)

$(BIN)/oauth2-proxy: tools/oauth2-proxy/go.mod tools/oauth2-proxy/go.sum tools/oauth2-proxy/tools.go internal/versions/versions.go
	cd tools/oauth2-proxy && CGO_ENABLED=0 $(GO) build -trimpath \
	  -ldflags "-s -X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=$(call upstream_version,OAuth2Proxy)" \
	  -o $@.tmp github.com/oauth2-proxy/oauth2-proxy/v7
	mv -f $@.tmp $@

$(BIN)/dex: tools/dex/go.mod tools/dex/go.sum tools/dex/tools.go internal/versions/versions.go
	cd tools/dex && CGO_ENABLED=0 $(GO) build -trimpath \
	  -ldflags "-s -X main.version=$(call upstream_version,Dex)" \
	  -o $@.tmp github.com/dexidp/dex/cmd/dex
	mv -f $@.tmp $@

TEST_TARGETS += upstream
