# Helm for the Helm-output tests (e2e/helmcheck): `helm template` of the
# upstream oauth2-proxy, Dex and istiod charts with the values
# `authconfig-fn render --helm` writes; no cluster. Built from the wrapper
# module tools/helm (version in internal/versions, checked by its test).
# File target: a warm run only stats the wrapper files. Cold build ~2-3 min.

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
