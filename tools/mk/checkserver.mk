# check-server: fuzzing and the load generator. `go test ./...` already runs
# every fuzz target's seed corpus, so nothing is added to TEST_TARGETS.
FUZZTIME ?= 30s

.PHONY: fuzz-checkserver loadgen
fuzz-checkserver: ## fuzz the check-server token and header paths for $(FUZZTIME) each
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./checkserver/jwtauth
	$(GO) test -run '^$$' -fuzz '^FuzzCheckHeaders$$' -fuzztime $(FUZZTIME) ./checkserver

loadgen: ## build the HTTP/gRPC load generator into ./bin
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/loadgen ./cmd/loadgen
