# A real kube-apiserver in the tests (internal/kubeapi; the binaries come
# from tools/mk/bigbins.mk). The server-side dry-run tests (e2e/apiservercheck)
# also need Istio's CRDs, read from the istio.io/istio module that
# e2e/istiod pins: this puts it in the module cache on a fresh machine (a
# warm run is a no-op).

.PHONY: istio-crds kubeapi-tests
istio-crds: ## download istio.io/istio (Istio's CRDs for the dry-run tests) into the module cache
	cd e2e/istiod && $(GO) mod download $(call upstream_version,IstioModule)

kubeapi-tests: $(BIN)/kube-apiserver $(BIN)/etcd istio-crds build kustomize ## tests on a real kube-apiserver: dry-run of the output, check-server TokenReview, the SA issuer
	$(GO) test -count=1 ./internal/kubeapi/ ./e2e/apiservercheck/ ./checkserver/realapi/
	$(GO) test -count=1 -run TestKubernetesServiceAccountIssuer ./e2e/

TEST_TARGETS += istio-crds
