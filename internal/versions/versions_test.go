package versions

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// requires returns the module → version map of the require directives of a
// go.mod file. A deliberately small parser: the wrappers are written by
// `go mod tidy`, and this package must stay free of dependencies.
func requires(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	inBlock := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if f := strings.Fields(line); len(f) == 2 {
			out[f[0]] = f[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWrapperModulesPinTheseVersions(t *testing.T) {
	root := filepath.Join("..", "..", "tools")
	for _, c := range []struct{ gomod, module, version string }{
		{"oauth2-proxy/go.mod", OAuth2ProxyModule, OAuth2Proxy},
		{"dex/go.mod", DexModule, DexModuleVersion},
		{"hydra/go.mod", HydraModule, Hydra},
		{"kube-apiserver/go.mod", KubeAPIServerModule, KubeAPIServer},
		{"etcd/go.mod", EtcdModule, Etcd},
		{"../e2e/istiod/go.mod", IstioModule, IstioModuleVersion},
		{"helm/go.mod", HelmModule, Helm},
		{"../e2e/istiod/go.mod", GatewayAPIModule, GatewayAPIModuleVersion},
		{"../go.mod", GatewayAPIModule, GatewayAPIModuleVersion},
	} {
		got := requires(t, filepath.Join(root, c.gomod))[c.module]
		if got != c.version {
			t.Errorf("tools/%s requires %s %q, internal/versions says %q: change both together", c.gomod, c.module, got, c.version)
		}
	}
}

func TestImagesUseTheTags(t *testing.T) {
	if !strings.HasSuffix(OAuth2ProxyImage, ":"+OAuth2Proxy) || !strings.HasSuffix(DexImage, ":"+Dex) {
		t.Fatalf("image tags drifted: %s %s", OAuth2ProxyImage, DexImage)
	}
}
