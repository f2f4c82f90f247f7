package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisCluster is a real Redis Cluster on loopback: three masters, no
// replicas. The seed — the one address the AuthConfig gives oauth2-proxy, as
// a cluster's Service would be — holds no hash slot; the other two split all
// 16384. So every session key lives on a node oauth2-proxy was never told
// about and reaches only by following the cluster's slot map, and a client
// that is not cluster-aware gets MOVED for every key, whatever its hash (with
// three slot-holding masters it would still hit the right node for a third
// of the keys, so that mistake would pass one login in three).
type redisCluster struct {
	seed   string
	owners []string // the slot holders: 0-8191, 8192-16383
	dial   redisDial
}

func (c redisCluster) nodes() []string { return append([]string{c.seed}, c.owners...) }

// startRedisCluster starts the three nodes, gives the owners their slots,
// introduces them to the seed and waits until every node sees all three and
// the cluster state ok. Three idle redis-servers cost little on 2 cores
// (no replicas, nothing on disk); start and gossip took 2–5 s here.
func startRedisCluster(t *testing.T, ctx context.Context, lg *logs) redisCluster {
	return startRedisClusterServe(t, ctx, lg, plainRedis)
}

// startRedisClusterServe is startRedisCluster with nodes listening as s
// says: TLS only (the cluster bus too, tls-cluster), with a password.
func startRedisClusterServe(t *testing.T, ctx context.Context, lg *logs, s redisServe) redisCluster {
	t.Helper()
	var nodes, bus []string
	for i := range 3 {
		var busPort string
		addr := startRedisArgs(t, ctx, lg, fmt.Sprintf("redis-cluster-%d", i), s.dial, func(port string) []string {
			// The bus port is picked too (the default, port+10000, may be taken).
			busPort = strconv.Itoa(freePort(t))
			args := append(s.flags(port), "--cluster-enabled", "yes",
				"--cluster-config-file", filepath.Join(t.TempDir(), "nodes.conf"), "--cluster-port", busPort)
			if s.tls {
				args = append(args, "--tls-cluster", "yes")
			}
			return redisServerArgs(args...)
		})
		nodes, bus = append(nodes, addr), append(bus, busPort)
	}
	c := redisCluster{seed: nodes[0], owners: nodes[1:], dial: s.dial}
	must := func(out string, err error) {
		t.Helper()
		if err != nil || out != "OK" {
			t.Fatalf("setting up the Redis Cluster: %q, %v", out, err)
		}
	}
	must(c.dial.cmd(c.owners[0], "CLUSTER", "ADDSLOTSRANGE", "0", "8191"))
	must(c.dial.cmd(c.owners[1], "CLUSTER", "ADDSLOTSRANGE", "8192", "16383"))
	for i, n := range c.owners {
		host, port, _ := net.SplitHostPort(n)
		must(c.dial.cmd(c.seed, "CLUSTER", "MEET", host, port, bus[i+1]))
	}
	var state string
	if !waitRedis(t, ctx, time.Now().Add(readyTimeout), func() bool {
		state = ""
		for _, n := range c.nodes() {
			info, err := c.dial.cmd(n, "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				state = fmt.Sprintf("%s: %q %v", n, info, err)
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the Redis Cluster did not form within %s: %s", readyTimeout, state)
	}
	return c
}

// keys lists the keys of every node as node=key lines.
func (c redisCluster) keys() (string, error) {
	var out []string
	for _, n := range c.nodes() {
		held, err := c.dial.cmd(n, "KEYS", "*")
		if err != nil {
			return "", fmt.Errorf("KEYS on %s: %w", n, err)
		}
		for _, k := range strings.Fields(held) {
			out = append(out, n+"="+k)
		}
	}
	return strings.Join(out, "\n"), nil
}

// TestRedisClusterSessions: sessionStore.redis.cluster on a real three-node
// Redis Cluster. The emitted redis_use_cluster and
// redis_cluster_connection_urls make oauth2-proxy a cluster client: login
// stores the session on the node that owns its key's slot (never the seed,
// which owns none), a request with the cookie passes, and sign-out deletes
// the key there (the old cookie replayed is refused).
func TestRedisClusterSessions(t *testing.T) {
	ctx, lg := redisTest(t)
	c := startRedisCluster(t, ctx, lg)
	e, h := newHydraEnv(t, redisStore(map[string]any{"cluster": map[string]any{"addresses": []any{"redis://" + c.seed}}}))
	b, ticket := loginRedisSession(t, e, h, c.keys)
	c.checkSlotOwners(t)
	signOutRevokes(t, e, b, ticket, c.keys)
}

// checkSlotOwners: every key the cluster holds (the session) is on the owner
// of its key's slot, by the cluster's own answer (CLUSTER KEYSLOT, and the
// key present there).
func (c redisCluster) checkSlotOwners(t *testing.T) {
	t.Helper()
	held, _ := c.keys()
	for _, line := range strings.Split(held, "\n") {
		node, key, _ := strings.Cut(line, "=")
		slot, err := c.dial.cmd(c.seed, "CLUSTER", "KEYSLOT", key)
		n, _ := strconv.Atoi(slot)
		want := c.owners[0]
		if n >= 8192 {
			want = c.owners[1]
		}
		if err != nil || node != want {
			t.Errorf("session key %q is on %s; its slot %s (%v) belongs to %s", key, node, slot, err, want)
		}
		t.Logf("session key %s: slot %s, on %s (the seed %s holds no slot)", key, slot, node, c.seed)
	}
}
