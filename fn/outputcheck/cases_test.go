package outputcheck

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

// TestGoldenCasesAgreeOnOneIdentity runs every golden case's rendered
// resources (one per provider profile among them) through Objects: the
// oauth2-proxy config, the Istio objects and the check-server config of
// one AuthConfig must agree on one identity (cross_oneidentity.go), and be
// valid on their own.
func TestGoldenCasesAgreeOnOneIdentity(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/cases/*/resources.golden.yaml")
	if len(files) < 5 {
		t.Fatalf("found %d golden cases, want the provider profiles among them", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// ByteReader unwraps the ResourceList into its items.
			items, err := (&kio.ByteReader{Reader: bytes.NewReader(b)}).Read()
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, p := range Objects(items) {
				t.Error(p.String())
			}
		})
	}
}
