# Chromium for the browser e2e (e2e/browser_*_test.go, docs/e2e.md): Debian's
# package, installed by the project when it is missing (apt-get as root, like
# the other installs). Without root and without Chromium, TestBrowser skips
# with one line saying so.

CHROMIUM := /usr/bin/chromium

.PHONY: chromium
chromium: ## install Debian's Chromium for the browser e2e when /usr/bin/chromium is missing (apt-get, as root)
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "chromium: $(CHROMIUM) is missing and this is not root: TestBrowser will skip (run 'make chromium' as root)"; exit 0; fi; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

.PHONY: e2e-browser e2e-browser-mutations
e2e-browser: build upstream chromium ## the browser flows only: headless Chromium over TLS against real oauth2-proxy + Dex
	$(GO) test -count=1 -timeout 10m -v -run '^TestBrowser(CheckServer)?$$' ./e2e/

e2e-browser-mutations: build upstream chromium ## break one cookie/logout setting at a time; a browser flow must fail for each
	e2e/mutations.sh browser

TEST_TARGETS += chromium
