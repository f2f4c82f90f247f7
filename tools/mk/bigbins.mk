# The large upstream programs the tests run for real, built once from the Go
# module proxy through the wrapper modules in tools/ (versions in
# internal/versions): kube-apiserver + etcd (a real API server), Ory Hydra (a
# second, OpenID-certified provider). File targets: a warm run only stats the
# wrapper files. Built with `nice` before any test runs; a cold first build
# takes kube-apiserver 8-11 min, etcd ~2.5 min, Hydra ~3 min on 2 cores.

BIG_BINS := $(BIN)/kube-apiserver $(BIN)/etcd $(BIN)/hydra
K8S_LDFLAGS = -s -w -X k8s.io/component-base/version.gitVersion=$(call upstream_version,KubeAPIServer) \
  -X k8s.io/client-go/pkg/version.gitVersion=$(call upstream_version,KubeAPIServer)

.PHONY: bigbins kube-apiserver etcd hydra
bigbins: $(BIG_BINS) ## build kube-apiserver, etcd and Hydra into ./bin (slow when cold: see README)
kube-apiserver: $(BIN)/kube-apiserver
etcd: $(BIN)/etcd
hydra: $(BIN)/hydra

$(BIN)/kube-apiserver: tools/kube-apiserver/go.mod tools/kube-apiserver/go.sum tools/kube-apiserver/tools.go internal/versions/versions.go
	@mkdir -p $(BIN)
	cd tools/kube-apiserver && CGO_ENABLED=0 nice $(GO) build -trimpath -ldflags "$(K8S_LDFLAGS)" \
	  -o $@.tmp k8s.io/kubernetes/cmd/kube-apiserver
	@v=$$($@.tmp --version); [[ $$v == "Kubernetes $(call upstream_version,KubeAPIServer)" ]] || { echo "kube-apiserver: built '$$v', want $(call upstream_version,KubeAPIServer): fix tools/kube-apiserver/go.mod"; rm -f $@.tmp; exit 1; }
	mv -f $@.tmp $@

$(BIN)/etcd: tools/etcd/go.mod tools/etcd/go.sum tools/etcd/tools.go internal/versions/versions.go
	@mkdir -p $(BIN)
	cd tools/etcd && CGO_ENABLED=0 nice $(GO) build -trimpath -ldflags "-s -w" -o $@.tmp go.etcd.io/etcd/server/v3
	@v=$$($@.tmp --version | sed -n 's/^etcd Version: //p'); [[ v$$v == "$(call upstream_version,Etcd)" ]] || { echo "etcd: built '$$v', want $(call upstream_version,Etcd): fix tools/etcd/go.mod"; rm -f $@.tmp; exit 1; }
	mv -f $@.tmp $@

# Hydra needs cgo for its sqlite (in-memory) storage.
$(BIN)/hydra: tools/hydra/go.mod tools/hydra/go.sum tools/hydra/tools.go internal/versions/versions.go
	@mkdir -p $(BIN)
	cd tools/hydra && CGO_ENABLED=1 nice $(GO) build -trimpath -tags sqlite \
	  -ldflags "-s -w -X github.com/ory/hydra/v2/driver/config.Version=$(call upstream_version,Hydra)" \
	  -o $@.tmp github.com/ory/hydra/v2
	mv -f $@.tmp $@

TEST_TARGETS += bigbins
