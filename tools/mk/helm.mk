# Helm for the Helm-output tests (e2e/helmcheck): `helm template` of the
# upstream oauth2-proxy, Dex and istiod charts with the values
# `authconfig-fn render --helm` writes; no cluster. Built from the wrapper
# module tools/helm (version in internal/versions, checked by its test).
# File target: a warm run only stats the wrapper files. Cold build ~4.5 min
# on 2 loaded cores.

.PHONY: helm helm-check
helm: $(BIN)/helm ## build the pinned helm into ./bin (for the Helm-output tests)

$(BIN)/helm: tools/helm/go.mod tools/helm/go.sum tools/helm/tools.go internal/versions/versions.go
	@mkdir -p $(BIN)
	cd tools/helm && CGO_ENABLED=0 nice $(GO) build -trimpath \
	  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$(call upstream_version,Helm)" \
	  -o $@.tmp helm.sh/helm/v4/cmd/helm
	@v=$$($@.tmp version --template '{{.Version}}'); [[ $$v == "$(call upstream_version,Helm)" ]] || { echo "helm: built '$$v', want $(call upstream_version,Helm): fix tools/helm/go.mod"; rm -f $@.tmp; exit 1; }
	mv -f $@.tmp $@

TEST_TARGETS += helm

# The Helm output through real `helm template` of the vendored charts
# (../shared/charts) and istiod's chart from the istio module: every golden
# case through the output checks, against the kustomize components, and
# oauth2-proxy's --config-test (e2e/helmcheck, docs/helm.md). `make unit`
# runs it too, as part of `go test ./...`.
helm-check: $(BIN)/helm $(BIN)/oauth2-proxy istio-crds ## the Helm output through real helm template of the upstream charts (e2e/helmcheck)
	$(GO) test -count=1 ./e2e/helmcheck/

TEST_TARGETS += helm-check

# e2e's TestHelmChartsLogin boots Dex and oauth2-proxy from the chart-rendered
# configuration: the e2e target needs helm too.
e2e: $(BIN)/helm istio-crds

# e2e/istiodcheck's TestHelmReleases runs the chart releases through istiod.
istiod-check: $(BIN)/helm

# e2e/apiservercheck's TestDryRunHelmReleases dry-runs the chart releases.
kubeapi-tests: $(BIN)/helm
