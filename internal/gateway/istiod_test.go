package gateway

import (
	"os"
	"path/filepath"
	"testing"
)

// Tests on real istiod output: testdata/istiod/*.xds.json is what
// bin/istiod-xds generated for the e2e environments (refresh with
// E2E_XDS_SAVE=$PWD/internal/gateway/testdata/istiod go test ./e2e/; the
// .input.yaml beside each is what istiod read).

func loadIstiod(t *testing.T, name string) *XDS {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "istiod", name+".xds.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseXDS(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x
}

func TestIstiodOutputImplemented(t *testing.T) {
	for _, name := range []string{"TestOAuth2ProxyAuthorizer", "TestCheckServerAuthorizer", "TestCheckServerGRPC"} {
		t.Run(name, func(t *testing.T) {
			x := loadIstiod(t, name)
			if _, err := New(x, Options{}); err != nil {
				t.Errorf("New on istiod's output: %v", err)
			}
		})
	}
}
