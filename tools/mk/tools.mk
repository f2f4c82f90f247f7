# Pinned runner tools in ./bin (first on PATH for every recipe).
# kustomize: built from the wrapper module tools/kustomize (go.mod/go.sum pin
# v5.8.2; only the Go module proxy is used). A file target: a warm run only
# stats the wrapper files.
# kpt: the machine's kpt (Debian/CI image), checked against the pinned
# version and linked into ./bin; nothing is downloaded.

KUSTOMIZE_VERSION := v5.8.2
KPT_VERSION := 1.0.0-beta.56

.PHONY: kustomize kpt tools
tools: kustomize kpt ## pinned runner tools in ./bin: kustomize (built), kpt (the machine's, version-checked)
kustomize: $(BIN)/kustomize ## build the pinned kustomize into ./bin
kpt: $(BIN)/kpt ## link the machine's kpt into ./bin after checking its version

$(BIN)/kustomize: tools/kustomize/go.mod tools/kustomize/go.sum tools/kustomize/tools.go
	@mkdir -p $(BIN)
	cd tools/kustomize && CGO_ENABLED=0 $(GO) build -trimpath -o $@.tmp sigs.k8s.io/kustomize/kustomize/v5
	@v=$$($@.tmp version); [[ $$v == "$(KUSTOMIZE_VERSION)" ]] || { echo "kustomize: built $$v, want $(KUSTOMIZE_VERSION): fix tools/kustomize/go.mod"; rm -f $@.tmp; exit 1; }
	mv -f $@.tmp $@

$(BIN)/kpt:
	@mkdir -p $(BIN)
	@k=$$(PATH=$${PATH#$(BIN):} command -v kpt) || { echo "kpt: not on PATH; install kpt $(KPT_VERSION) (e.g. /usr/bin/kpt)"; exit 1; }; \
	v=$$($$k version); [[ $$v == "$(KPT_VERSION)" ]] || { echo "kpt: $$k is $$v, want $(KPT_VERSION)"; exit 1; }; \
	ln -sf $$k $@; echo "kpt: linked $$k ($$v) into $(BIN)"
