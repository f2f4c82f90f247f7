package apiservercheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/internal/gatewayapicase"
	"meshauth.dev/meshauth/internal/kubeapi"
)

// TestDryRunGoldens sends every object of every golden case's output
// (resources mode: the complete objects, upstream ones passed through
// included) to the API server as a server-side dry-run.
func TestDryRunGoldens(t *testing.T) {
	s, ctx := server(t)
	files, _ := filepath.Glob(filepath.Join(repo, "testdata/cases/*/resources.golden.yaml"))
	if len(files) == 0 {
		t.Fatal("no golden cases")
	}
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var rl struct {
				Items []map[string]any `json:"items"`
			}
			if err := yaml.Unmarshal(data, &rl); err != nil {
				t.Fatal(err)
			}
			if len(rl.Items) == 0 {
				t.Skipf("%s: the function refuses this case (no output)", name)
			}
			dryRun(t, s, ctx, f, rl.Items)
		})
	}
}

// TestDryRunOverlays runs `kustomize build --enable-alpha-plugins
// --enable-exec` of every overlay (the function runs as an exec
// transformer) and dry-runs the whole build.
func TestDryRunOverlays(t *testing.T) {
	kustomize := binary(t, "kustomize", "make kustomize")
	binary(t, "authconfig-fn", "make build")
	s, ctx := server(t)
	dirs, _ := filepath.Glob(filepath.Join(repo, "overlays/*/kustomization.yaml"))
	if len(dirs) == 0 {
		t.Fatal("no overlays")
	}
	for _, k := range dirs {
		dir := filepath.Dir(k)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			bctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			cmd := exec.CommandContext(bctx, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
			}
			objs, err := kubeapi.Objects(out)
			if err != nil {
				t.Fatal(err)
			}
			dryRun(t, s, ctx, "kustomize build "+dir, objs)
		})
	}
}

// TestCRDAcceptsGoodAuthConfigs: every AuthConfig the function accepts —
// the golden cases, the overlays' and the embedded default — is accepted by
// the CRD too; the CRD's rules must never be stricter than the function.
func TestCRDAcceptsGoodAuthConfigs(t *testing.T) {
	s, ctx := server(t)
	var files []string
	for _, g := range []string{"testdata/cases/*/authconfig.yaml", "overlays/*/authconfig*.yaml", "fn/cli/kubeflow.yaml"} {
		m, _ := filepath.Glob(filepath.Join(repo, g))
		files = append(files, m...)
	}
	const ns = "meshauth-good"
	if err := s.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !functionAccepts(data) {
			continue // refused by the function: TestCRDRefusesBadInputs covers these
		}
		accepted++
		var o map[string]any
		if err := yaml.Unmarshal(data, &o); err != nil {
			t.Fatal(err)
		}
		o["metadata"].(map[string]any)["namespace"] = ns
		if err := s.Apply(ctx, o, true); err != nil {
			t.Errorf("%s: the function accepts it but the CRD refuses it: %v", f, err)
		}
	}
	if accepted < 8 {
		t.Fatalf("only %d valid AuthConfigs found in %v", accepted, files)
	}
}

// functionAccepts is the function's own verdict on one AuthConfig document.
func functionAccepts(doc []byte) bool {
	_, errs := api.Load(doc)
	return len(errs) == 0
}

// TestDryRunGoldensInGatewayAPIMode: every golden case's AuthConfig moved to a Kubernetes Gateway
// (gateway.api: gateway-api, no classic selector, no logout VirtualService: the migration of
// docs/gateway-api.md) renders in components mode, and every object its components hold — the
// HTTPRoutes and targetRefs policies among them — passes a server-side dry-run against the
// Gateway API's and Istio's CRDs. A case the mode refuses must say why with a field path.
func TestDryRunGoldensInGatewayAPIMode(t *testing.T) {
	s, ctx := server(t)
	files, _ := filepath.Glob(filepath.Join(repo, "testdata/cases/*/authconfig.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !functionAccepts(data) {
			continue
		}
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			_, rl := gatewayapicase.Render(t, data)
			var objs []map[string]any
			for _, it := range rl.Items {
				if it.GetKind() == "Component" || it.GetKind() == "Kustomization" || it.GetKind() == "" {
					continue
				}
				var o map[string]any
				if err := yaml.Unmarshal([]byte(it.String()), &o); err != nil {
					t.Fatal(err)
				}
				if meta, ok := o["metadata"].(map[string]any); ok {
					delete(meta, "annotations") // the function's file-path annotations
				}
				objs = append(objs, o)
			}
			dryRun(t, s, ctx, name+" (gateway-api)", objs)
		})
	}
}
