package loopback

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// DexConfig is the emitted Dex config.yaml with the loopback overrides:
// web.http on addr, storage in memory (no Kubernetes API here), and, when
// groups are given, those groups for every static user that has none (test
// user data: Kubeflow's default user has none). Nothing else changes.
func DexConfig(emitted, addr string, groups ...string) (map[string]any, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(emitted), &cfg); err != nil {
		return nil, fmt.Errorf("the emitted Dex config.yaml: %w", err)
	}
	if cfg == nil {
		return nil, fmt.Errorf("the emitted Dex config.yaml is empty")
	}
	web, _ := cfg["web"].(map[string]any)
	if web == nil {
		web = map[string]any{}
		cfg["web"] = web
	}
	web["http"] = addr
	cfg["storage"] = map[string]any{"type": "memory"}
	if len(groups) > 0 {
		users, _ := cfg["staticPasswords"].([]any)
		for _, u := range users {
			if um, ok := u.(map[string]any); ok && um["groups"] == nil {
				um["groups"] = toAny(groups)
			}
		}
	}
	return cfg, nil
}

// DexEnv is env (the emitted Deployment's, resolved) plus what Dex's own
// install gives it through Secrets the function does not own (Kubeflow's
// envFrom), each only where env lacks it: PasswordHash for every static
// user's hashFromEnv, and a stand-in value for every static client's idEnv
// and secretEnv.
func DexEnv(cfg map[string]any, env []string) []string {
	env = slices.Clone(env)
	add := func(name, value string) {
		if name != "" && !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") }) {
			env = append(env, name+"="+value)
		}
	}
	for _, u := range list(cfg, "staticPasswords") {
		v, _ := u["hashFromEnv"].(string)
		add(v, PasswordHash)
	}
	for _, c := range list(cfg, "staticClients") {
		for _, k := range []string{"idEnv", "secretEnv"} {
			v, _ := c[k].(string)
			add(v, "stand-in-"+strings.ToLower(v))
		}
	}
	return env
}

// DexUser is the email of the first static user: the one who logs in.
func DexUser(cfg map[string]any) (string, error) {
	for _, u := range list(cfg, "staticPasswords") {
		if email, _ := u["email"].(string); email != "" {
			return email, nil
		}
	}
	return "", fmt.Errorf("the emitted Dex config has no staticPasswords user to log in with")
}

// DiscoveryURL is an issuer's OpenID discovery document; Dex is ready once
// it serves it.
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// list is the mappings of a list in cfg (malformed entries left out: Dex
// refuses the config then, with a better message than ours).
func list(cfg map[string]any, key string) []map[string]any {
	var out []map[string]any
	l, _ := cfg[key].([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
