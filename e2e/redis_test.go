package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startRedis runs Debian's redis-server (make redis-server installs it) on
// 127.0.0.1 without persistence; a port taken before the bind is retried.
func startRedis(t *testing.T, ctx context.Context, lg *logs) string {
	return startRedisArgs(t, ctx, lg, "redis", func(port string) []string {
		return []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	})
}

// startSentinel runs redis-server in sentinel mode watching master as
// mymaster (sentinel rewrites its config file, so each gets its own).
func startSentinel(t *testing.T, ctx context.Context, lg *logs, master string) string {
	host, mport, _ := net.SplitHostPort(master)
	return startRedisArgs(t, ctx, lg, "redis-sentinel", func(port string) []string {
		conf := filepath.Join(t.TempDir(), "sentinel.conf")
		text := fmt.Sprintf("port %s\nbind 127.0.0.1\nsentinel monitor mymaster %s %s 1\n", port, host, mport)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{conf, "--sentinel"}
	})
}

func startRedisArgs(t *testing.T, ctx context.Context, lg *logs, name string, args func(port string) []string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("e2e needs redis-server: run `make redis-server` first (CI does, before the tests)")
	}
	for attempt := 0; attempt < 3; attempt++ {
		addr := hostPort(freePort(t))
		_, port, _ := net.SplitHostPort(addr)
		p := start(t, ctx, lg, name, bin, args(port), nil)
		deadline := time.Now().Add(readyTimeout)
		for time.Now().Before(deadline) && !p.Exited() {
			if out, err := redisCmd(addr, "PING"); err == nil && out == "PONG" {
				return addr
			}
			select {
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(50 * time.Millisecond): // poll interval of a bounded readiness poll
			}
		}
		p.Stop(stopTimeout)
		if !strings.Contains(p.log.String(), "Address already in use") {
			break
		}
	}
	t.Fatalf("%s did not start", name)
	return ""
}

// redisCmd sends one command and returns a simple answer, or the elements of
// an array answer joined by newlines (just enough RESP for PING and KEYS).
func redisCmd(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
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
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+"):
		return line[1:], nil
	case strings.HasPrefix(line, "*"):
		n, _ := strconv.Atoi(line[1:])
		var out []string
		for i := 0; i < n && i < 1000; i++ {
			if _, err := r.ReadString('\n'); err != nil { // $len
				return "", err
			}
			v, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			out = append(out, strings.TrimRight(v, "\r\n"))
		}
		return strings.Join(out, "\n"), nil
	}
	return "", fmt.Errorf("redis: %s", line)
}

// TestRedisSessions: oauth2-proxy with the Redis session store on a real
// redis-server: login stores the session server-side (the cookie is only a
// ticket), sign-out deletes it, and the old cookie replayed is refused.
func TestRedisSessions(t *testing.T) {
	requireBinaries(t, "authconfig-fn", "oauth2-proxy", "hydra")
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	t.Cleanup(cancel)
	addr := startRedis(t, ctx, newLogs(t))
	e, h := newHydraEnv(t, func(s map[string]any) {
		s["oauth2Proxy"].(map[string]any)["sessionStore"] = map[string]any{"type": "redis", "redis": map[string]any{"address": "redis://" + addr}}
	})
	b := e.hydraBrowser(t, h)
	if r := b.hydraLogin(h); r.status != 200 {
		t.Fatalf("login with Redis sessions: %d\nhops:\n%s", r.status, b.hops())
	}
	keys, err := redisCmd(addr, "KEYS", "*")
	if err != nil || keys == "" {
		t.Fatalf("no session in Redis after login (keys %q, %v)", keys, err)
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

	b.follow(b.do("GET", "/logout", nil, nil))
	if left, _ := redisCmd(addr, "KEYS", "*"); left != "" {
		t.Errorf("Redis still holds %q after sign-out: the session was not revoked server-side", left)
	}
	replay := e.browser(t)
	replay.c.Jar.SetCookies(replay.base, []*http.Cookie{{Name: ticket.Name, Value: ticket.Value, Path: "/"}})
	if r := replay.do("GET", "/api/whoami", nil, map[string]string{"Accept": "application/json"}); r.status != http.StatusUnauthorized {
		t.Errorf("the signed-out session cookie replayed = %d, want 401", r.status)
	}
}

// TestRedisSentinelSessions: the sentinel options reach oauth2-proxy, which
// finds the master through a real sentinel and keeps the session there.
func TestRedisSentinelSessions(t *testing.T) {
	requireBinaries(t, "authconfig-fn", "oauth2-proxy", "hydra")
	ctx, cancel := context.WithTimeout(context.Background(), envTimeout)
	t.Cleanup(cancel)
	lg := newLogs(t)
	master := startRedis(t, ctx, lg)
	sentinel := startSentinel(t, ctx, lg, master)
	e, h := newHydraEnv(t, func(s map[string]any) {
		s["oauth2Proxy"].(map[string]any)["sessionStore"] = map[string]any{"type": "redis", "redis": map[string]any{
			"sentinel": map[string]any{"masterName": "mymaster", "addresses": []any{"redis://" + sentinel}}}}
	})
	b := e.hydraBrowser(t, h)
	if r := b.hydraLogin(h); r.status != 200 {
		t.Fatalf("login with Redis sessions through a sentinel: %d\nhops:\n%s", r.status, b.hops())
	}
	if keys, err := redisCmd(master, "KEYS", "*"); err != nil || keys == "" {
		t.Errorf("no session in the sentinel's master after login (keys %q, %v)", keys, err)
	}
}
