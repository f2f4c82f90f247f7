# Benchmarks (docs/benchmarks.md): `make bench` measures check-server and
# authconfig-fn side by side with the real alternatives (null Go server,
# oauth2-proxy, a no-op KRM function, kustomize with pre-rendered components)
# and writes BENCHMARKS.md; bounded to 10 minutes. Not part of `make test`.

BENCH_FLAGS ?=
BENCH_GO_PKGS := ./checkserver/ ./generators/merge/ ./fn/process/

.PHONY: bench bench-go
bench: build upstream kustomize kpt ## side-by-side benchmarks → BENCHMARKS.md (< 10 min; not in `make test`)
	$(BIN)/meshauth-bench -bin $(BIN) -o BENCHMARKS.md -timeout 20m $(BENCH_FLAGS)

bench-go: ## Go hot-path benchmarks (token verify, cache hit, header policy, merges, processor)
	$(GO) test -run '^$$' -bench . -benchmem $(BENCH_GO_PKGS)

