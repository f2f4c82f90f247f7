# The function in the tools users run it with (e2e/runners/, docs/runners.md):
# kustomize and kubectl kustomize (exec + container), kpt fn render/eval
# (exec + container) over every overlay, all byte-compared. `make unit` runs
# them as part of `go test ./...`; the container tests set podman up
# (../shared/tools/podman-sandbox.sh) and build the images themselves.
TEST_TARGETS += kustomize kpt

.PHONY: runners
runners: build kustomize kpt ## runner tests: kustomize/kpt/kubectl, exec + container, every overlay
	$(GO) test -count=1 -v ./e2e/runners/
