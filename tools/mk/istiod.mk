# istiod in the loop: bin/istiod-xds runs istiod's own CRD schema + CEL validation,
# its validating webhook, its mesh-config parse and its xDS generation (the
# pilot/test/xds fake discovery server) over rendered YAML (XDS_CONTRACT.md,
# docs/istiod.md). It is built from the nested module e2e/istiod, which pins
# istio.io/istio, so the main module's go.mod stays small. File target: a warm
# run only stats the module's files. Cold build ~12 min on 2 shared cores
# (~430 modules, peak ~3 GB); warm seconds. No -trimpath and the default cgo
# setting, so the build cache matches a plain `go build` in the module.

ISTIOD_SRC := e2e/istiod/go.mod e2e/istiod/go.sum $(shell find e2e/istiod -name '*.go' -not -name '*_test.go')

.PHONY: istiod-xds
istiod-xds: $(BIN)/istiod-xds ## build bin/istiod-xds (istiod's validation + xDS generation; slow when cold)

$(BIN)/istiod-xds: $(ISTIOD_SRC)
	@mkdir -p $(BIN)
	cd e2e/istiod && nice $(GO) build -o $@.tmp ./cmd/istiod-xds
	mv -f $@.tmp $@

TEST_TARGETS += istiod-xds

.PHONY: istiod-check
istiod-check: build istiod-xds ## every golden case, overlay and the corpus build through istiod (e2e/istiodcheck)
	$(GO) test -count=1 -v -run . ./e2e/istiodcheck/

# The nested module's own tests (`go test ./...` at the root does not enter
# it); they reuse the archives the istiod-xds build left in the cache.
.PHONY: istiod-module-tests
istiod-module-tests: $(BIN)/istiod-xds ## the e2e/istiod module's own tests (istiod-xds writing its output)
	cd e2e/istiod && nice $(GO) test -count=1 ./...

TEST_TARGETS += istiod-module-tests
