package loopback

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const checkServerSpec = "  publicURL: https://kubeflow.example.com\n  authorizer: check-server\n"

var oauth2ProxySource = Source{Namespace: "oauth2-proxy", ConfigMap: "oauth2-proxy", Key: "oauth2_proxy.cfg", Deployment: "oauth2-proxy", Container: "oauth2-proxy"}

// TestOAuth2Proxy: the emitted config byte for byte, the emitted args with
// the copy's path and the loopback listen flags, the env resolved.
func TestOAuth2Proxy(t *testing.T) {
	cfg, w, err := render(t, checkServerSpec).Program(oauth2ProxySource)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	secrets := Secrets{"oauth2-proxy": {"client-secret": ClientSecret, "cookie-secret": CookieSecret}}
	o, err := NewOAuth2Proxy(dir, cfg, w, secrets, "127.0.0.1:4180")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "oauth2_proxy.cfg")); err != nil || string(b) != cfg {
		t.Errorf("the written oauth2_proxy.cfg differs from the emitted one (%v)", err)
	}
	if len(o.Args) != 3 || o.Args[0] != "--config="+o.Config || o.Args[1] != "--http-address=127.0.0.1:4180" || !strings.HasPrefix(o.Args[2], "--metrics-address=127.0.0.1:") {
		t.Errorf("args = %q, want the emitted --config= at the copy, then the loopback listen flags", o.Args)
	}
	if want := []string{"OAUTH2_PROXY_CLIENT_SECRET=" + ClientSecret, "OAUTH2_PROXY_COOKIE_SECRET=" + CookieSecret}; !slices.Equal(o.Env, want) {
		t.Errorf("env = %q, want %q", o.Env, want)
	}
	if o.ListenPort != "4180" || o.Ready != "http://127.0.0.1:4180/ping" {
		t.Errorf("listen port %q, ready %q; want the emitted 4180 and /ping on loopback", o.ListenPort, o.Ready)
	}
	if _, err := NewOAuth2Proxy(dir, "http_address = [", w, secrets, "127.0.0.1:4180"); err == nil {
		t.Error("a config that is not TOML: no error")
	}
}

// TestCheckServer derives check-server's loopback config from the emitted
// one, with the gRPC listener on or off; oauth2Proxy.url resolves only
// through a Service port that reaches oauth2-proxy's listen port.
func TestCheckServer(t *testing.T) {
	e := render(t, checkServerSpec)
	emitted, err := e.ConfigMapKey("oauth2-proxy", "check-server", "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, o2p, err := e.Program(oauth2ProxySource)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.Get("Service", "oauth2-proxy", "oauth2-proxy")
	if err != nil {
		t.Fatal(err)
	}
	l := CheckServerListen{HTTP: "127.0.0.1:1001", GRPC: "127.0.0.1:1002", Ops: "127.0.0.1:1003"}
	routed := Registry{}
	routed.Route(svc, o2p, "4180", "127.0.0.1:4180")
	for name, grpc := range map[string]string{"gRPC on": l.GRPC, "gRPC off": ""} {
		t.Run(name, func(t *testing.T) {
			ll := l
			ll.GRPC = grpc
			c, err := NewCheckServer(emitted, ll, routed)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]string{"http": ll.HTTP, "grpc": ll.GRPC, "ops": ll.Ops} {
				if got, _ := Nested(c.Config, "listen", k).(string); got != want {
					t.Errorf("listen.%s = %q, want %q", k, got, want)
				}
			}
			if c.HTTPPort != "8080" || c.GRPCPort != "9000" || c.Ready != "http://127.0.0.1:1003/readyz" {
				t.Errorf("emitted ports %q/%q, ready %q; want 8080/9000 and /readyz on ops", c.HTTPPort, c.GRPCPort, c.Ready)
			}
			if got := str(c.Config, "oauth2Proxy", "url"); got != "http://127.0.0.1:4180" {
				t.Errorf("oauth2Proxy.url = %q, want the loopback oauth2-proxy", got)
			}
			if got := Nested(c.Config, "kubernetes", "tokenReview", "enabled"); got != false {
				t.Errorf("tokenReview.enabled = %v, want false", got)
			}
			if got := Nested(c.Config, "cache", "size"); got != float64(10000) {
				t.Errorf("cache.size = %v, want the emitted 10000 (nothing but the overrides changes)", got)
			}
		})
	}
	// oauth2-proxy's config listening on a port its Service does not target.
	unrouted := Registry{}
	unrouted.Route(svc, o2p, "4181", "127.0.0.1:4180")
	if _, err := NewCheckServer(emitted, l, unrouted); err == nil || !strings.Contains(err.Error(), `"http://oauth2-proxy.oauth2-proxy.svc.cluster.local" names no Service port`) {
		t.Errorf("oauth2Proxy.url through no Service port: %v", err)
	}
	if _, err := NewCheckServer("apiRoutes: [/api/]\n", l, Registry{}); err == nil {
		t.Error("a config without listen addresses: no error")
	}
}

// TestRegistryRoute: every Service port whose targetPort (number or name)
// is the listen port, and no other.
func TestRegistryRoute(t *testing.T) {
	w := Workload{Container: map[string]any{"ports": []any{
		map[string]any{"name": "http", "containerPort": float64(8080)},
		map[string]any{"name": "grpc", "containerPort": float64(9000)},
	}}}
	svc := map[string]any{"metadata": map[string]any{"namespace": "ns", "name": "cs"}, "spec": map[string]any{"ports": []any{
		map[string]any{"port": float64(80), "targetPort": "http"},
		map[string]any{"port": float64(8080)}, // targetPort defaults to port
		map[string]any{"port": float64(81), "targetPort": float64(8080)},
		map[string]any{"port": float64(9000), "targetPort": "grpc"},
		map[string]any{"port": float64(82), "targetPort": "metrics"}, // no such container port
	}}}
	reg := Registry{}
	reg.Route(svc, w, "8080", "127.0.0.1:1")
	want := Registry{"cs.ns.svc.cluster.local:80": "127.0.0.1:1", "cs.ns.svc.cluster.local:8080": "127.0.0.1:1", "cs.ns.svc.cluster.local:81": "127.0.0.1:1"}
	if len(reg) != len(want) {
		t.Errorf("routes = %v, want %v", reg, want)
	}
	for k, v := range want {
		if reg[k] != v {
			t.Errorf("routes = %v, want %v", reg, want)
		}
	}
}

// TestWorkload: what the stack cannot run is an error, not a gap.
func TestWorkload(t *testing.T) {
	dep := map[string]any{"metadata": map[string]any{"namespace": "ns", "name": "app"}, "spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "app", "args": []any{"--verbose"}, "env": []any{
			map[string]any{"name": "FROM_CM", "valueFrom": map[string]any{"configMapKeyRef": map[string]any{"name": "cm", "key": "k"}}},
		}}}}}}}
	if _, err := ContainerOf(dep, "other"); err == nil || !strings.Contains(err.Error(), `ns/app has no container "other"`) {
		t.Errorf("a missing container: %v", err)
	}
	w, err := ContainerOf(dep, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Env(Secrets{}); err == nil || !strings.Contains(err.Error(), "env FROM_CM") {
		t.Errorf("a configMapKeyRef: %v, want an error naming FROM_CM", err)
	}
	if _, err := w.ArgsWithConfig("/tmp/x"); err == nil || !strings.Contains(err.Error(), "do not pass --config=") {
		t.Errorf("args without --config=: %v", err)
	}
}
