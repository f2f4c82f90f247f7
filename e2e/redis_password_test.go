package e2e

import (
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"meshauth.dev/meshauth/internal/loopback"
)

// The run-time Secret of the Redis passwords, as passwordSecretRef and
// sentinel.passwordSecretRef name it.
const redisPasswordSecret = "e2e-redis"

func redisPasswordRef(key string) map[string]any {
	return map[string]any{"name": redisPasswordSecret, "key": key}
}

// newRedisPassword makes a password for one test and puts it in the Secret
// under key.
func newRedisPassword(t *testing.T, key string) string {
	pw := "e2e-" + rand.Text()
	addTestSecret(t, redisPasswordSecret, key, pw)
	return pw
}

// redisPasswordOption is an oauth2-proxy option carrying a Redis password,
// or a Redis URL with userinfo: neither may be in a ConfigMap.
var redisPasswordOption = regexp.MustCompile(`(?m)^\s*redis_\w*password\s*=.*$|rediss?://[^/"\s]*@`)

// passwordOnlyFromSecret: the emitted oauth2-proxy container gets envName
// from Secret key by secretKeyRef (never a value), and no emitted ConfigMap
// holds a Redis password option or a URL with a password.
func passwordOnlyFromSecret(t *testing.T, e *env, envName, key string) {
	t.Helper()
	ns := strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy")
	w := workload(t, e.r.find(t, "apps", "Deployment", ns, "oauth2-proxy"), "oauth2-proxy")
	var got []map[string]any
	list, _ := w.Container["env"].([]any)
	for _, v := range list {
		if m, _ := v.(map[string]any); m["name"] == envName {
			got = append(got, m)
		}
	}
	if len(got) != 1 || got[0]["value"] != nil || str(got[0], "valueFrom", "secretKeyRef", "name") != redisPasswordSecret ||
		str(got[0], "valueFrom", "secretKeyRef", "key") != key {
		t.Errorf("the oauth2-proxy container should get %s from Secret %s key %s by secretKeyRef, got %v", envName, redisPasswordSecret, key, got)
	}
	for _, cm := range e.r.all("", "ConfigMap", "") {
		data, _ := cm.m["data"].(map[string]any)
		for k, v := range data {
			if s, _ := v.(string); redisPasswordOption.MatchString(s) {
				t.Errorf("ConfigMap %s key %s holds a Redis password: %q", cm, k, redisPasswordOption.FindString(s))
			}
		}
	}
}

// oauth2ProxyWithSecret runs the command the running oauth2-proxy was
// started with — derived again from the emitted ConfigMap and Deployment,
// the env resolved from the Secrets as the kubelet would — with Secret
// redisPasswordSecret's key holding value instead, on fresh listen
// addresses; its output and exit code (it must stop by itself).
func oauth2ProxyWithSecret(t *testing.T, e *env, key, value string) (string, int) {
	t.Helper()
	ns := strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy")
	cfg := e.r.configMapKey(t, ns, "oauth2-proxy", "oauth2_proxy.cfg")
	w := workload(t, e.r.find(t, "apps", "Deployment", ns, "oauth2-proxy"), "oauth2-proxy")
	secrets := testSecrets()
	secrets.Put(redisPasswordSecret, key, value)
	o, err := loopback.NewOAuth2Proxy(t.TempDir(), cfg, w, secrets, hostPort(freePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	return run(e.ctx, readyTimeout, binary(t, "oauth2-proxy"), o.Args, o.Env)
}

// refusedAtStart: oauth2-proxy with a wrong password in the Secret exits 1
// at start, its own error — it SETs a health-check key before it serves —
// naming Redis's auth error want; keys finds nothing written.
func refusedAtStart(t *testing.T, e *env, key, wrong, want string, keys func() (string, error)) {
	t.Helper()
	out, code := oauth2ProxyWithSecret(t, e, key, wrong)
	var refusal string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "unable to set a redis initialization key") && strings.Contains(line, want) {
			refusal = strings.TrimSpace(line)
			break
		}
	}
	if code != 1 || refusal == "" {
		t.Errorf("oauth2-proxy with a wrong password in Secret %s key %s: exit %d, want 1 and \"unable to set a redis initialization key: … %s\":\n%s", redisPasswordSecret, key, code, want, out)
	} else {
		t.Logf("refused at start (exit %d): %s", code, refusal)
	}
	if left, err := keys(); err != nil || left != "" {
		t.Errorf("Redis holds %q (%v) after the refused start", left, err)
	}
}

// TestRedisPasswordSessions: passwordSecretRef on a redis-server with
// requirepass. The password reaches oauth2-proxy only as the emitted
// secretKeyRef env OAUTH2_PROXY_REDIS_PASSWORD (no ConfigMap holds it):
// login stores the session, sign-out deletes it, the replayed cookie is
// refused; with a wrong password in the Secret the same command exits 1 at
// start with Redis's WRONGPASS.
func TestRedisPasswordSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	pw := newRedisPassword(t, "password")
	s := plainRedis.withPassword(pw)
	addr := startRedisServe(t, ctx, lg, "redis-auth", s)
	e, h := newHydraEnv(t, redisStore(map[string]any{"address": "redis://" + addr, "passwordSecretRef": redisPasswordRef("password")}))
	keys := func() (string, error) { return s.dial.cmd(addr, "KEYS", "*") }
	passwordOnlyFromSecret(t, e, "OAUTH2_PROXY_REDIS_PASSWORD", "password")

	t.Run("session_with_password", func(t *testing.T) {
		b, ticket := loginRedisSession(t, e, h, keys)
		signOutRevokes(t, e, b, ticket, keys)
	})
	t.Run("wrong_password_refused_at_start", func(t *testing.T) {
		refusedAtStart(t, e, "password", "wrong-"+pw, "WRONGPASS", keys)
	})
}

// TestRedisSentinelPasswordSessions: a master with requirepass and a
// sentinel with its own requirepass (it reaches the master with sentinel
// auth-pass). passwordSecretRef is the master's, sentinel.passwordSecretRef
// the sentinel's, each reaching oauth2-proxy only as its secretKeyRef env:
// login stores the session on the master, sign-out deletes it, the replayed
// cookie is refused; a wrong password in either Secret key stops the same
// command at start.
func TestRedisSentinelPasswordSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	pw, spw := newRedisPassword(t, "password"), newRedisPassword(t, "sentinel-password")
	s := plainRedis.withPassword(pw)
	master := startRedisServe(t, ctx, lg, "redis-auth", s)
	sentinel := startSentinelServe(t, ctx, lg, "redis-sentinel-auth", plainRedis.withPassword(spw), master, pw)
	e, h := newHydraEnv(t, redisStore(map[string]any{
		"passwordSecretRef": redisPasswordRef("password"),
		"sentinel": map[string]any{"masterName": "mymaster", "addresses": []any{"redis://" + sentinel},
			"passwordSecretRef": redisPasswordRef("sentinel-password")}}))
	keys := func() (string, error) { return s.dial.cmd(master, "KEYS", "*") }
	passwordOnlyFromSecret(t, e, "OAUTH2_PROXY_REDIS_PASSWORD", "password")
	passwordOnlyFromSecret(t, e, "OAUTH2_PROXY_REDIS_SENTINEL_PASSWORD", "sentinel-password")

	t.Run("session_with_passwords", func(t *testing.T) {
		b, ticket := loginRedisSession(t, e, h, keys)
		signOutRevokes(t, e, b, ticket, keys)
	})
	t.Run("wrong_master_password_refused_at_start", func(t *testing.T) {
		refusedAtStart(t, e, "password", "wrong-"+pw, "WRONGPASS", keys)
	})
	t.Run("wrong_sentinel_password_refused_at_start", func(t *testing.T) {
		refusedAtStart(t, e, "sentinel-password", "wrong-"+spw, "WRONGPASS", keys)
	})
}

// TestRedisClusterPasswordSessions: passwordSecretRef on a Redis Cluster
// whose three masters have requirepass and masterauth. The password
// reaches oauth2-proxy only as its secretKeyRef env and serves every node
// the slot map leads to: login stores the session on its slot's owner,
// sign-out deletes it, the replayed cookie is refused; a wrong password in
// the Secret stops the same command at start.
func TestRedisClusterPasswordSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	pw := newRedisPassword(t, "password")
	c := startRedisClusterServe(t, ctx, lg, plainRedis.withPassword(pw))
	e, h := newHydraEnv(t, redisStore(map[string]any{
		"cluster": map[string]any{"addresses": []any{"redis://" + c.seed}}, "passwordSecretRef": redisPasswordRef("password")}))
	passwordOnlyFromSecret(t, e, "OAUTH2_PROXY_REDIS_PASSWORD", "password")

	t.Run("session_with_password", func(t *testing.T) {
		b, ticket := loginRedisSession(t, e, h, c.keys)
		c.checkSlotOwners(t)
		signOutRevokes(t, e, b, ticket, c.keys)
	})
	t.Run("wrong_password_refused_at_start", func(t *testing.T) {
		refusedAtStart(t, e, "password", "wrong-"+pw, "WRONGPASS", c.keys)
	})
}
