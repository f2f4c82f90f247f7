package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireRedisTLS fails — it does not skip — when redis-server was built
// without TLS: such a build refuses the tls-* options as unknown directives.
// With TLS, --port 0 --tls-port 0 gets as far as "not listening anywhere".
func requireRedisTLS(t *testing.T, ctx context.Context) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("e2e needs redis-server: run `make redis-server` first (CI does, before the tests)")
	}
	out, _ := run(ctx, readyTimeout, bin, []string{"--port", "0", "--tls-port", "0"}, nil)
	if strings.Contains(out, "Bad directive") || !strings.Contains(out, "not listen anywhere") {
		t.Fatalf("%s was built without TLS support (BUILD_TLS=yes; Debian's redis-server package has it): it refuses --tls-port:\n%s", bin, out)
	}
}

// tlsRedis: redis-servers on a TLS port only (no plain port), with a
// serving certificate for 127.0.0.1 from pki; clients are not asked for
// certificates (tls-auth-clients no: the CA under test is the client's).
// Its dial trusts exactly pki's CA, for the test's own look into Redis.
func tlsRedis(t *testing.T, ctx context.Context, pki *testPKI) redisServe {
	t.Helper()
	requireRedisTLS(t, ctx)
	dir := t.TempDir()
	files := map[string][]byte{"ca.crt": pki.caPEM, "redis.crt": pki.certPEM, "redis.key": pki.keyPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pki.caPEM)
	return redisServe{
		flags: func(port string) []string {
			return []string{"--port", "0", "--tls-port", port,
				"--tls-cert-file", filepath.Join(dir, "redis.crt"), "--tls-key-file", filepath.Join(dir, "redis.key"),
				"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"), "--tls-auth-clients", "no"}
		},
		dial: func(addr string) (net.Conn, error) {
			return tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
		},
		tls: true,
	}
}

// startRedisTLS runs one TLS-only redis-server (tlsRedis) and returns its
// address and the test's dial.
func startRedisTLS(t *testing.T, ctx context.Context, lg *logs, pki *testPKI) (string, redisDial) {
	t.Helper()
	s := tlsRedis(t, ctx, pki)
	return startRedisServe(t, ctx, lg, "redis-tls", s), s.dial
}

// TestRedisTLSSessions: a rediss:// address and caSecretRef on a real
// TLS-only redis-server whose certificate a test CA signed. The emitted
// redis_ca_path (the file of the emitted Secret volume) is what oauth2-proxy
// trusts: with the CA, the readiness probe passes and the session lives and
// dies in Redis over TLS; with a CA that did not sign the server's
// certificate, the same oauth2-proxy command refuses to start.
func TestRedisTLSSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	pki := newTestPKI(t, "127.0.0.1")
	addr, dial := startRedisTLS(t, ctx, lg, pki)
	addTestSecret(t, "e2e-redis-ca", "ca.crt", string(pki.caPEM))
	e, h := newHydraEnv(t, redisStore(map[string]any{
		"address": "rediss://" + addr, "caSecretRef": map[string]any{"name": "e2e-redis-ca", "key": "ca.crt"}}))
	keys := func() (string, error) { return dial.cmd(addr, "KEYS", "*") }

	t.Run("session_over_tls", func(t *testing.T) {
		// oauth2-proxy's /ready pings Redis: the emitted probe is Ready only
		// when the TLS handshake with the CA succeeds.
		dep := e.r.find(t, "apps", "Deployment", strOr(e.spec()["oauth2Proxy"].(map[string]any), "namespace", "oauth2-proxy"), "oauth2-proxy")
		path := str(workload(t, dep, "oauth2-proxy").Container, "readinessProbe", "httpGet", "path")
		if status, body := getStatus(e.ctx, "http://"+e.o2pAddr+path); status != 200 {
			t.Errorf("the emitted readiness probe %s = %d %q, want 200 (Redis reached over TLS)", path, status, body)
		}
		b, ticket := loginRedisSession(t, e, h, keys)
		signOutRevokes(t, e, b, ticket, keys)
	})

	t.Run("foreign_ca_refused_at_start", func(t *testing.T) {
		// oauth2-proxy checks its session store before it serves (a SET/GET/DEL
		// of a health-check key, at --config-test and at start alike), so a
		// CA that does not verify Redis stops it at start, not at login. The
		// Secret's file the harness mounted now holds another test CA; the
		// command is the one that started the running oauth2-proxy, on fresh
		// listen addresses (a later flag wins) so a bind cannot be the failure.
		caFile := ""
		for _, a := range e.o2pArgs {
			if v, ok := strings.CutPrefix(a, "--redis-ca-path="); ok {
				caFile = v
			}
		}
		if caFile == "" {
			t.Fatalf("oauth2-proxy was started without the mounted CA file (args %v)", e.o2pArgs)
		}
		if err := os.WriteFile(caFile, newTestPKI(t, "127.0.0.1").caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		args := append(slices.Clone(e.o2pArgs), "--http-address="+hostPort(freePort(t)), "--metrics-address="+hostPort(freePort(t)))
		out, code := run(e.ctx, readyTimeout, binary(t, "oauth2-proxy"), args, e.o2pEnv)
		if code != 1 || !strings.Contains(out, "certificate signed by unknown authority") {
			t.Errorf("oauth2-proxy with a CA that did not sign Redis's certificate: exit %d, want 1 with an x509 unknown-authority error:\n%s", code, out)
		} else {
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "unknown authority") {
					t.Logf("refused at start (exit %d): %s", code, strings.TrimSpace(line))
					break
				}
			}
		}
		if left, err := keys(); err != nil || left != "" {
			t.Errorf("Redis holds %q (%v): oauth2-proxy wrote through a TLS connection it should have refused", left, err)
		}
	})
}

// getStatus is one GET within httpTimeout: status and body (-1 and the
// error when there was no answer).
func getStatus(ctx context.Context, url string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}
