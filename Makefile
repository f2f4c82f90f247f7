# meshauth — build, test, render, verify.
# Topic makefiles in tools/mk/ add their targets and append to TEST_TARGETS.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
BIN := $(ROOT)/bin
GO ?= go
export GOFLAGS := -buildvcs=false
export PATH := $(BIN):$(PATH)

TEST_TARGETS :=

include $(sort $(wildcard tools/mk/*.mk))

.PHONY: help build render crd verify lint test unit
help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build every command in cmd/ (authconfig-fn, check-server, ...) into ./bin
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/...

render: build ## render components/ from the embedded default AuthConfig
	$(BIN)/authconfig-fn render -o components

crd: build ## regenerate the AuthConfig CRD from the Go types
	@mkdir -p fn/api/crd
	$(BIN)/authconfig-fn schema > fn/api/crd/authconfigs.meshauth.dev.yaml

verify: build ## fail when components/ or the CRD drift from a fresh render
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(BIN)/authconfig-fn render -o $$tmp/components >/dev/null 2>&1; \
	$(BIN)/authconfig-fn schema > $$tmp/crd.yaml; \
	diff -ru components $$tmp/components && diff -u fn/api/crd/authconfigs.meshauth.dev.yaml $$tmp/crd.yaml \
	  || { echo "components/ or the CRD drifted: run 'make render crd' and review the diff"; exit 1; }
	$(GO) test -count=1 -run 'TestGolden$$' ./fn/process/ \
	  || { echo "golden files drifted: run 'go test ./... -update' and review the diff"; exit 1; }

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-ed (run gofmt -w):"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit: ## unit tests (fuzz seed corpora included)
	$(GO) test -count=1 ./...

test: build lint verify $(TEST_TARGETS) unit ## everything CI runs
