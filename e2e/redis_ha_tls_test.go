package e2e

import (
	"testing"
)

// redisCASecret is the run-time Secret holding the test CA as caSecretRef
// names it.
func redisCASecret(t *testing.T, pki *testPKI) map[string]any {
	addTestSecret(t, "e2e-redis-ca", "ca.crt", string(pki.caPEM))
	return map[string]any{"name": "e2e-redis-ca", "key": "ca.crt"}
}

// TestRedisSentinelTLSSessions: sessionStore.redis.sentinel with rediss://
// addresses and caSecretRef on a TLS-only master and a TLS-only sentinel
// (tls-port, no plain port; the sentinel reaches the master over TLS,
// tls-replication, and is waited for until it takes it for a master). The
// CA reaches oauth2-proxy only as the emitted Secret volume's file at the
// emitted redis_ca_path, which go-redis trusts for the sentinel and for
// the master it names alike: login stores the session on the master, the
// cookie passes, sign-out deletes it, the replayed cookie is refused.
func TestRedisSentinelTLSSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	pki := newTestPKI(t, "127.0.0.1")
	s := tlsRedis(t, ctx, pki)
	master := startRedisServe(t, ctx, lg, "redis-tls", s)
	sentinel := startSentinelServe(t, ctx, lg, "redis-sentinel-tls", s, master)
	e, h := newHydraEnv(t, redisStore(map[string]any{
		"sentinel":    map[string]any{"masterName": "mymaster", "addresses": []any{"rediss://" + sentinel}},
		"caSecretRef": redisCASecret(t, pki)}))
	keys := func() (string, error) { return s.dial.cmd(master, "KEYS", "*") }
	b, ticket := loginRedisSession(t, e, h, keys)
	signOutRevokes(t, e, b, ticket, keys)
}

// TestRedisClusterTLSSessions: sessionStore.redis.cluster with a rediss://
// seed and caSecretRef on a Redis Cluster of three TLS-only masters (the
// cluster bus over TLS too, tls-cluster; the nodes announce their TLS
// ports). The seed holds no slot, so oauth2-proxy reaches the session's
// node only through the slot map, over TLS with the mounted CA: login
// stores the session on its slot's owner, the cookie passes, sign-out
// deletes it there, the replayed cookie is refused.
func TestRedisClusterTLSSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	pki := newTestPKI(t, "127.0.0.1")
	c := startRedisClusterServe(t, ctx, lg, tlsRedis(t, ctx, pki))
	e, h := newHydraEnv(t, redisStore(map[string]any{
		"cluster":     map[string]any{"addresses": []any{"rediss://" + c.seed}},
		"caSecretRef": redisCASecret(t, pki)}))
	b, ticket := loginRedisSession(t, e, h, c.keys)
	c.checkSlotOwners(t)
	signOutRevokes(t, e, b, ticket, c.keys)
}
