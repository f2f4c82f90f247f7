package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startRedis runs Debian's redis-server (make redis-server installs it) on
// 127.0.0.1 without persistence; a port taken before the bind is retried.
func startRedis(t *testing.T, ctx context.Context, lg *logs) string {
	return startRedisServe(t, ctx, lg, "redis", plainRedis)
}

// redisServerArgs are the flags every redis-server of the e2e gets: loopback
// only, nothing written to disk.
func redisServerArgs(extra ...string) []string {
	return append([]string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, extra...)
}

// redisServe is how a test's redis-servers listen and whom they admit: the
// listening flags for a port, and the dial that reaches them (plain TCP or
// TLS, sending AUTH first when they require a password).
type redisServe struct {
	flags func(port string) []string
	dial  redisDial
	tls   bool // TLS only: a sentinel then talks TLS to the master, a cluster's bus is TLS
}

// plainRedis listens on a plain TCP port and admits anyone.
var plainRedis = redisServe{flags: func(port string) []string { return []string{"--port", port} }, dial: dialRedis}

// withPassword: every server requires pw (requirepass; masterauth is what a
// replica would authenticate to its master with), and the test's own dial
// authenticates first.
func (s redisServe) withPassword(pw string) redisServe {
	flags := s.flags
	s.flags = func(port string) []string { return append(flags(port), "--requirepass", pw, "--masterauth", pw) }
	s.dial = s.dial.auth(pw)
	return s
}

// startRedisServe starts one redis-server listening as s says, extra flags
// after the listening ones.
func startRedisServe(t *testing.T, ctx context.Context, lg *logs, name string, s redisServe, extra ...string) string {
	return startRedisArgs(t, ctx, lg, name, s.dial, func(port string) []string {
		return redisServerArgs(append(s.flags(port), extra...)...)
	})
}

// startSentinel runs redis-server in sentinel mode watching master as
// mymaster (sentinel rewrites its config file, so each gets its own).
func startSentinel(t *testing.T, ctx context.Context, lg *logs, master string) string {
	return startSentinelServe(t, ctx, lg, "redis-sentinel", plainRedis, master)
}

// startSentinelServe runs a sentinel listening as s says (a password of s is
// the sentinel's own) that watches master as mymaster: over TLS
// (tls-replication) when s is TLS, with the master's password (sentinel
// auth-pass) when one is given. It returns once the sentinel has reached
// the master and takes it for one.
func startSentinelServe(t *testing.T, ctx context.Context, lg *logs, name string, s redisServe, master string, masterPass ...string) string {
	t.Helper()
	host, mport, _ := net.SplitHostPort(master)
	text := fmt.Sprintf("sentinel monitor mymaster %s %s 1\n", host, mport)
	for _, pw := range masterPass {
		text += fmt.Sprintf("sentinel auth-pass mymaster %s\n", pw)
	}
	addr := startRedisArgs(t, ctx, lg, name, s.dial, func(port string) []string {
		conf := filepath.Join(t.TempDir(), "sentinel.conf")
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{conf, "--sentinel", "--bind", "127.0.0.1"}, s.flags(port)...)
		if s.tls {
			args = append(args, "--tls-replication", "yes")
		}
		return args
	})
	var seen string
	if !waitRedis(t, ctx, time.Now().Add(readyTimeout), func() bool {
		out, err := s.dial.cmd(addr, "SENTINEL", "MASTER", "mymaster")
		seen = fmt.Sprintf("%q %v", out, err)
		m := map[string]string{} // the answer is field, value, field, value, …
		for f := range slices.Chunk(strings.Split(out, "\n"), 2) {
			if len(f) == 2 {
				m[f[0]] = f[1]
			}
		}
		// flags is "master" alone (not s_down, disconnected) once the
		// sentinel's link is up, role-reported once the master answered INFO.
		return err == nil && m["flags"] == "master" && m["role-reported"] == "master"
	}) {
		t.Fatalf("%s did not reach the master %s within %s: SENTINEL MASTER mymaster = %s", name, master, readyTimeout, seen)
	}
	return addr
}

// startRedisArgs starts redis-server with args(port) and waits until it
// answers PING through dial (plain TCP, or TLS for a --tls-port server).
func startRedisArgs(t *testing.T, ctx context.Context, lg *logs, name string, dial redisDial, args func(port string) []string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("e2e needs redis-server: run `make redis-server` first (CI does, before the tests)")
	}
	for attempt := 0; attempt < 3; attempt++ {
		addr := hostPort(freePort(t))
		_, port, _ := net.SplitHostPort(addr)
		p := start(t, ctx, lg, name, bin, args(port), nil)
		pong := false
		waitRedis(t, ctx, time.Now().Add(readyTimeout), func() bool {
			out, err := dial.cmd(addr, "PING")
			pong = err == nil && out == "PONG"
			return pong || p.Exited()
		})
		if pong {
			return addr
		}
		p.Stop(stopTimeout)
		if !strings.Contains(p.log.String(), "Address already in use") {
			break
		}
	}
	t.Fatalf("%s did not start", name)
	return ""
}

// waitRedis polls done every 50ms until it holds or the deadline passes (a
// bounded poll on a condition the test names, never a sleep).
func waitRedis(t testing.TB, ctx context.Context, deadline time.Time, done func() bool) bool {
	t.Helper()
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond): // poll interval
		}
	}
	return true
}

// redisDial opens a connection to a Redis server: plain TCP (dialRedis) or
// TLS (redis_tls_test.go).
type redisDial func(addr string) (net.Conn, error)

func dialRedis(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }

// auth is dial followed by AUTH pw (a server with requirepass answers
// anything else with NOAUTH).
func (dial redisDial) auth(pw string) redisDial {
	return func(addr string) (net.Conn, error) {
		c, err := dial(addr)
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(httpTimeout))
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(pw), pw)
		if out, err := readRESP(bufio.NewReader(c)); err != nil || out != "OK" {
			c.Close()
			return nil, fmt.Errorf("AUTH: %q %v", out, err)
		}
		c.SetDeadline(time.Time{})
		return c, nil
	}
}

// redisCmd sends one command over plain TCP (redisDial.cmd says what comes back).
func redisCmd(addr string, args ...string) (string, error) {
	return redisDial(dialRedis).cmd(addr, args...)
}

// cmd sends one command and returns the answer: a simple or bulk string, an
// integer, or the elements of an array joined by newlines (just enough RESP
// for PING, KEYS, CLUSTER INFO and friends); an error answer is an error.
func (dial redisDial) cmd(addr string, args ...string) (string, error) {
	c, err := dial(addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(httpTimeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readRESP(bufio.NewReader(c))
}

func readRESP(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("redis: empty answer")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err // $-1: no value
		}
		buf := make([]byte, n+2) // the value and its CRLF
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		var out []string
		for i := 0; i < n && i < 1000; i++ {
			v, err := readRESP(r)
			if err != nil {
				return "", err
			}
			out = append(out, v)
		}
		return strings.Join(out, "\n"), nil
	}
	return "", fmt.Errorf("redis: %s", line)
}

// loginRedisSession logs in through the gateway and checks what a Redis
// session store makes of it: keys (what the store holds) lists a session,
// the cookie is only a short ticket, and a request with it passes.
func loginRedisSession(t *testing.T, e *env, h *hydra, keys func() (string, error)) (*browser, *http.Cookie) {
	t.Helper()
	b := e.hydraBrowser(t, h)
	if r := b.hydraLogin(h); r.status != 200 {
		t.Fatalf("login with Redis sessions: %d %.300s\nhops:\n%s", r.status, r.body, b.hops())
	}
	if held, err := keys(); err != nil || held == "" {
		t.Fatalf("no session in Redis after login (keys %q, %v)", held, err)
	}
	var ticket *http.Cookie
	for _, c := range b.c.Jar.Cookies(b.base) {
		if c.Name == e.cookieName {
			ticket = c
		}
	}
	if ticket == nil || len(ticket.Value) > 400 {
		t.Fatalf("the session cookie should be a short ticket, got %v", ticket)
	}
	if r := b.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"}); r.status != 200 {
		t.Fatalf("GET /api/whoami with the Redis session = %d", r.status)
	}
	return b, ticket
}

// signOutRevokes signs out and checks the session is gone server-side: keys
// finds nothing left, and the old ticket replayed is refused.
func signOutRevokes(t *testing.T, e *env, b *browser, ticket *http.Cookie, keys func() (string, error)) {
	t.Helper()
	b.follow(b.do("GET", "/logout", nil, nil))
	if left, err := keys(); err != nil || left != "" {
		t.Errorf("Redis still holds %q after sign-out (%v): the session was not revoked server-side", left, err)
	}
	replay := e.browser(t)
	replay.c.Jar.SetCookies(replay.base, []*http.Cookie{{Name: ticket.Name, Value: ticket.Value, Path: "/"}})
	if r := replay.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"}); r.status != http.StatusUnauthorized {
		t.Errorf("the signed-out session cookie replayed = %d, want 401", r.status)
	}
}

// redisTest begins every Redis flow: the binaries it needs, its time budget
// and the logs of its Redis processes.
func redisTest(t *testing.T) (context.Context, *logs) {
	t.Helper()
	requireBinaries(t, "authconfig-fn", "oauth2-proxy", "hydra")
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	t.Cleanup(cancel)
	return ctx, newLogs(t)
}

// redisStore is the AuthConfig change to sessionStore type redis with redis.
func redisStore(redis map[string]any) func(spec map[string]any) {
	return func(s map[string]any) {
		s["oauth2Proxy"].(map[string]any)["sessionStore"] = map[string]any{"type": "redis", "redis": redis}
	}
}

// TestRedisSessions: oauth2-proxy with the Redis session store on a real
// redis-server: login stores the session server-side (the cookie is only a
// ticket), sign-out deletes it, and the old cookie replayed is refused.
func TestRedisSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	addr := startRedis(t, ctx, lg)
	e, h := newHydraEnv(t, redisStore(map[string]any{"address": "redis://" + addr}))
	keys := func() (string, error) { return redisCmd(addr, "KEYS", "*") }
	b, ticket := loginRedisSession(t, e, h, keys)
	signOutRevokes(t, e, b, ticket, keys)
}

// TestRedisSentinelSessions: the sentinel options reach oauth2-proxy, which
// finds the master through a real sentinel and keeps the session there.
func TestRedisSentinelSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	master := startRedis(t, ctx, lg)
	sentinel := startSentinel(t, ctx, lg, master)
	e, h := newHydraEnv(t, redisStore(map[string]any{
		"sentinel": map[string]any{"masterName": "mymaster", "addresses": []any{"redis://" + sentinel}}}))
	loginRedisSession(t, e, h, func() (string, error) { return redisCmd(master, "KEYS", "*") })
}
