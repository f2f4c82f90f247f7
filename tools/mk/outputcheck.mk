# Output validation (fn/outputcheck/, docs/validation.md): strict schema and
# cross-object checks of everything authconfig-fn emits. `make unit` runs
# these tests too, as part of `go test ./...`; this target runs only them.

.PHONY: outputcheck-tests
outputcheck-tests: ## output-validation tests (fn/outputcheck/), incl. the upstream Kubeflow corpus
	$(GO) test -count=1 ./fn/outputcheck/...
