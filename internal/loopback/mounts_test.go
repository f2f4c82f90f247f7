package loopback

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const redisCASpec = "  publicURL: https://kubeflow.example.com\n  oauth2Proxy:\n    sessionStore:\n      type: redis\n      redis:\n" +
	"        address: rediss://redis.oauth2-proxy.svc.cluster.local:6380\n        caSecretRef: {name: redis-ca, key: ca.crt}\n"

// TestOAuth2ProxyMountedSecret: the emitted redis_ca_path names the file of
// the emitted Secret volume; oauth2-proxy gets it as --redis-ca-path at a
// local copy of the Secret's key, and the config file stays the emitted one.
func TestOAuth2ProxyMountedSecret(t *testing.T) {
	cfg, w, err := render(t, redisCASpec).Program(oauth2ProxySource)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg, `redis_ca_path = "/etc/oauth2-proxy-redis-ca/ca.crt"`) {
		t.Fatalf("the emitted config has no redis_ca_path under the CA mount:\n%s", cfg)
	}
	dir := t.TempDir()
	secrets := Secrets{"oauth2-proxy": {"client-secret": ClientSecret, "cookie-secret": CookieSecret}}
	secrets.Put("redis-ca", "ca.crt", "PEM of the CA")
	o, err := NewOAuth2Proxy(dir, cfg, w, secrets, "127.0.0.1:4180")
	if err != nil {
		t.Fatal(err)
	}
	var file string
	for _, a := range o.Args {
		if v, ok := strings.CutPrefix(a, "--redis-ca-path="); ok {
			file = v
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "PEM of the CA" || !strings.HasPrefix(file, dir) {
		t.Errorf("args %q: want --redis-ca-path at a copy of Secret redis-ca key ca.crt under %s (%q, %v)", o.Args, dir, b, err)
	}
	if b, _ := os.ReadFile(o.Config); string(b) != cfg {
		t.Error("the written oauth2_proxy.cfg differs from the emitted one")
	}

	delete(secrets, "redis-ca")
	if _, err := NewOAuth2Proxy(t.TempDir(), cfg, w, secrets, "127.0.0.1:4180"); err == nil || !strings.Contains(err.Error(), `Secret redis-ca key "ca.crt"`) {
		t.Errorf("the CA Secret missing: %v, want an error naming it", err)
	}
}

// TestMountedFlags: only a path under a mountPath is mapped (a path beside
// it is left for the program to miss); a Secret volume without items holds
// every key; a list of mounted files is refused rather than passed wrong.
func TestMountedFlags(t *testing.T) {
	w := Workload{Deployment: "ns/app",
		Container: map[string]any{"volumeMounts": []any{
			map[string]any{"name": "certs", "mountPath": "/etc/certs"},
			map[string]any{"name": "config", "mountPath": "/etc/app"},
		}},
		Volumes: []any{
			map[string]any{"name": "certs", "secret": map[string]any{"secretName": "certs"}},
			map[string]any{"name": "config", "configMap": map[string]any{"name": "app"}},
		}}
	dir := t.TempDir()
	mounts, err := w.SecretFiles(dir, Secrets{"certs": {"a.pem": "A", "b.pem": "B"}})
	if err != nil || len(mounts) != 1 || mounts["/etc/certs"] == "" {
		t.Fatalf("mounts = %v, %v; want only the Secret volume", mounts, err)
	}
	for k, want := range map[string]string{"a.pem": "A", "b.pem": "B"} {
		if b, err := os.ReadFile(filepath.Join(mounts["/etc/certs"], k)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", k, b, err, want)
		}
	}
	flags, err := mountedFlags("redis_ca_path = \"/etc/certs/a.pem\"\ntls_cert_file = \"/etc/certsx/b.pem\"\nprovider_ca_file = \"/etc/app/c.pem\"\n", mounts)
	if want := []string{"--redis-ca-path=" + filepath.Join(mounts["/etc/certs"], "a.pem")}; err != nil || !slices.Equal(flags, want) {
		t.Errorf("flags = %q, %v; want %q", flags, err, want)
	}
	if _, err := mountedFlags("provider_ca_files = [\"/etc/certs/a.pem\"]\n", mounts); err == nil {
		t.Error("a list of mounted files: no error")
	}
}
