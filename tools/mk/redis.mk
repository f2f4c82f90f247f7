# Redis for the e2e's Redis session store (e2e/redis_test.go): Debian's
# redis-server, installed with apt-get when the machine has none. The tests
# run it themselves on 127.0.0.1 (no service, no persistence).

.PHONY: redis-server
redis-server: ## install Debian's redis-server when missing (the e2e runs it on 127.0.0.1)
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }
	@redis-server --version

TEST_TARGETS += redis-server
