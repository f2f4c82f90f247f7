package importer

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport: whatever the input, import returns an AuthConfig and a
// report or an error; it never panics.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{}, 1, {kind: ConfigMap}]\n"))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata: {mesh: 'extensionProviders: [{name: x}]'}\n"))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: o, namespace: n}\nspec: {template: {spec: {containers: [{name: c, image: oauth2-proxy, args: [--config, --cookie-expire]}]}}}\n"))
	// Found by fuzzing: metadata that is a list made the YAML library panic.
	f.Add([]byte("#0\nmetadata:\n    -"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Parse(data)
		if err != nil {
			return
		}
		res, err := Import(objs, Options{})
		if err == nil && len(res.AuthConfig) == 0 {
			t.Fatal("no AuthConfig and no error")
		}
	})
}
