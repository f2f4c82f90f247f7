# Fuzzing (issue 6): the ResourceList processor and the mesh/Dex config
# merges. `make unit` runs the seed corpora (plain `go test`); this target
# fuzzes each target for FUZZTIME, one after another, with FUZZPARALLEL
# workers. A failure leaves its input under <package>/testdata/fuzz/<Target>/;
# turn it into a regression test, fix the code, and delete the file.

FUZZTIME ?= 1m
FUZZPARALLEL ?= 1
FUZZMINIMIZETIME ?= 10s
FUZZ_TARGETS := \
	./fn/api:FuzzLoad \
	./fn/process:FuzzProcess \
	./fn/process:FuzzFastSameAsSDK \
	./fn/process:FuzzFastBlockAndFlow \
	./generators/merge:FuzzExtensionProvider \
	./generators/merge:FuzzDexConfig \
	./checkserver/pathmatch:FuzzPatternSameAsMatcher \
	./fn/importer:FuzzImport

.PHONY: fuzz
fuzz: ## fuzz every target for FUZZTIME (default 1m) one after another, e.g. make fuzz FUZZTIME=10m
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg) for $(FUZZTIME)"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) \
	    -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel $(FUZZPARALLEL) || exit 1; \
	done
