package realapi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/internal/kubeapi"
)

func TestMain(m *testing.M) {
	code := kubeapi.Main(m)
	if fx.dir != "" {
		os.RemoveAll(fx.dir)
	}
	os.Exit(code)
}

// The fixture: the check-server ServiceAccount and RBAC exactly as the
// function emits them (the check-server golden case, applied for real), a
// second check-server account bound only to system:auth-delegator, one
// without any binding, and the callers whose tokens are judged.
const (
	ns          = "realapi"
	callerSA    = "pipeline-runner"
	audience    = "check-server"
	tokenSecs   = 600 // TokenRequest's minimum
	testTimeout = 2 * time.Minute
	golden      = "../../testdata/cases/check-server/components.golden.yaml" // the component files as items (resources mode without the install refuses)
)

type fixture struct {
	s *kubeapi.Server
	// Own-credential token files: emitted RBAC, system:auth-delegator, none.
	emittedToken, delegatorToken, unboundToken string
	// emittedNS/emittedSA is the ServiceAccount the function emits.
	emittedNS, emittedSA string
}

var fx struct {
	once sync.Once
	dir  string // the own-token files; outlives every test
	f    *fixture
	err  error
}

func setup(t *testing.T) (*fixture, context.Context) {
	t.Helper()
	s := kubeapi.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	fx.once.Do(func() {
		if fx.dir, fx.err = os.MkdirTemp("", "realapi-"); fx.err == nil {
			fx.f, fx.err = newFixture(ctx, s, fx.dir)
		}
	})
	if fx.err != nil {
		t.Fatal(fx.err)
	}
	return fx.f, ctx
}

func newFixture(ctx context.Context, s *kubeapi.Server, dir string) (*fixture, error) {
	f := &fixture{s: s}
	// The emitted Namespace, ServiceAccount, ClusterRole and ClusterRoleBindings.
	data, err := os.ReadFile(golden)
	if err != nil {
		return nil, err
	}
	var rl struct {
		Items []map[string]any `json:"items"`
	}
	if err := yaml.Unmarshal(data, &rl); err != nil {
		return nil, err
	}
	for _, o := range rl.Items {
		meta := o["metadata"].(map[string]any)
		switch o["kind"] {
		case "ServiceAccount":
			if meta["name"] != "check-server" {
				continue
			}
			f.emittedNS, f.emittedSA = meta["namespace"].(string), "check-server"
		case "ClusterRole", "ClusterRoleBinding", "Namespace":
		default:
			continue
		}
		if ns, _ := meta["namespace"].(string); ns != "" {
			if err := s.EnsureNamespace(ctx, ns); err != nil {
				return nil, err
			}
		}
		if err := s.Apply(ctx, o, false); err != nil {
			return nil, err
		}
	}
	if f.emittedSA == "" {
		return nil, fmt.Errorf("%s holds no check-server ServiceAccount", golden)
	}
	if err := s.EnsureNamespace(ctx, ns); err != nil {
		return nil, err
	}
	for _, sa := range []string{callerSA, "delegator", "unbound"} {
		if err := createSA(ctx, s, ns, sa); err != nil {
			return nil, err
		}
	}
	if err := s.Apply(ctx, map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "realapi-delegator"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "delegator", "namespace": ns}},
	}, false); err != nil {
		return nil, err
	}
	// Own tokens as the kubelet projects them: the API server's audience.
	for _, c := range []struct {
		ns, sa string
		file   *string
	}{{f.emittedNS, f.emittedSA, &f.emittedToken}, {ns, "delegator", &f.delegatorToken}, {ns, "unbound", &f.unboundToken}} {
		tok, err := s.TokenRequest(ctx, c.ns, c.sa, nil, tokenSecs)
		if err != nil {
			return nil, err
		}
		*c.file = filepath.Join(dir, c.sa+"-"+c.ns+".token")
		if err := os.WriteFile(*c.file, []byte(tok), 0o600); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func createSA(ctx context.Context, s *kubeapi.Server, namespace, name string) error {
	return s.Apply(ctx, map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": name, "namespace": namespace}}, false)
}

// tokenReview is check-server's TokenReview config on the real server with
// the given own-token file.
func (f *fixture) tokenReview(tokenFile string) config.TokenReview {
	return config.TokenReview{Enabled: true, APIServer: f.s.URL, CAFile: f.s.CAFile, TokenFile: tokenFile,
		Audiences: []string{audience}, Timeout: config.D(10 * time.Second), CacheTTL: config.D(time.Minute)}
}

// callerToken is a token of the caller ServiceAccount for audiences.
func (f *fixture) callerToken(t *testing.T, ctx context.Context, sa string, audiences ...string) string {
	t.Helper()
	tok, err := f.s.TokenRequest(ctx, ns, sa, audiences, tokenSecs)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expired is tok re-signed by the issuer's own key with exp an hour ago.
func (f *fixture) expired(t *testing.T, tok string) string {
	t.Helper()
	now := time.Now()
	out, err := f.s.Resign(tok, func(c map[string]any) {
		c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// poll retries cond until it holds or the deadline passes: for what the
// API server learns through its informers (a deleted ServiceAccount).
func poll(t *testing.T, what string, within time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last: %s)", what, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
