package apiservercheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/internal/kubeapi"
)

func TestMain(m *testing.M) { os.Exit(kubeapi.Main(m)) }

const (
	repo    = "../.."
	crdFile = repo + "/fn/api/crd/authconfigs.meshauth.dev.yaml"
	// testTimeout bounds the API calls of one test.
	testTimeout = 3 * time.Minute
)

var crds struct {
	once sync.Once
	err  error
	took time.Duration
}

// server is the package's API server with Istio's CRDs, the Gateway API's
// (standard channel) and the AuthConfig CRD (the checked-in file users
// apply) installed and served.
func server(t *testing.T) (*kubeapi.Server, context.Context) {
	t.Helper()
	s := kubeapi.Shared(t)
	crds.once.Do(func() {
		began := time.Now()
		crds.err = installCRDs(s)
		crds.took = time.Since(began)
		if crds.err == nil {
			t.Logf("Istio's CRDs, the Gateway API's and the AuthConfig CRD served in %s", crds.took.Round(time.Millisecond))
		}
	})
	if crds.err != nil {
		t.Fatal(crds.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return s, ctx
}

func installCRDs(s *kubeapi.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	istio, err := kubeapi.IstioCRDFile()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(istio)
	if err != nil {
		return err
	}
	if err := s.InstallCRDs(ctx, data); err != nil {
		return fmt.Errorf("Istio's CRDs (%s): %w", istio, err)
	}
	gwFiles, err := kubeapi.GatewayAPICRDFiles()
	if err != nil {
		return err
	}
	for _, f := range gwFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := s.InstallCRDs(ctx, data); err != nil {
			return fmt.Errorf("the Gateway API's CRDs (%s): %w", f, err)
		}
	}
	ours, err := os.ReadFile(crdFile)
	if err != nil {
		return err
	}
	if gen, err := api.CRD(); err != nil || !bytes.Equal(gen, ours) {
		return fmt.Errorf("%s is not what fn/api generates (%v): run `make crd`", crdFile, err)
	}
	if err := s.InstallCRDs(ctx, ours); err != nil {
		return fmt.Errorf("the AuthConfig CRD: %w", err)
	}
	return nil
}

// dryRun creates the namespaces the objects live in, then server-side
// applies each object with dryRun=All and strict field validation, and
// reports every refusal.
func dryRun(t *testing.T, s *kubeapi.Server, ctx context.Context, where string, objs []map[string]any) {
	t.Helper()
	if len(objs) == 0 {
		t.Fatalf("%s: no objects to dry-run", where)
	}
	nss := map[string]bool{}
	for _, o := range objs {
		if ns, _ := o["metadata"].(map[string]any)["namespace"].(string); ns != "" {
			nss[ns] = true
		}
	}
	var names []string
	for ns := range nss {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		if err := s.EnsureNamespace(ctx, ns); err != nil {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}
	for _, o := range objs {
		if err := s.Apply(ctx, o, true); err != nil {
			t.Errorf("%s: %s refused: %v", where, id(o), err)
		}
	}
}

func id(o map[string]any) string {
	meta, _ := o["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	if ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%v %v %s", o["apiVersion"], o["kind"], name)
}

// binary is ./bin/<name>: built by make, else a failure (a skip under -short).
func binary(t *testing.T, name, target string) string {
	t.Helper()
	p, _ := filepath.Abs(filepath.Join(repo, "bin", name))
	if _, err := os.Stat(p); err != nil {
		if testing.Short() {
			t.Skipf("%s not built: run `%s` (skipped under -short)", p, target)
		}
		t.Fatalf("%s not built: run `%s` first", p, target)
	}
	return p
}
