package process_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

// caseInput builds the ResourceList an orchestrator would send for a case:
// kpt (components mode) gives every object a path, the AuthConfig included;
// kustomize (resources mode) passes the AuthConfig with its function
// annotation and the resources without paths.
func caseInput(t testing.TB, dir string, mode process.Mode) *fn.ResourceList {
	t.Helper()
	cfgBytes, err := os.ReadFile(filepath.Join(dir, "authconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := fn.ParseKubeObject(cfgBytes)
	if err != nil {
		t.Fatal(err)
	}
	var items fn.KubeObjects
	if b, err := os.ReadFile(filepath.Join(dir, "resources.yaml")); err == nil {
		items, err = fn.ParseKubeObjects(b)
		if err != nil {
			t.Fatal(err)
		}
	}
	switch mode {
	case process.Components:
		setAnn(t, cfg, "config.kubernetes.io/path", "authconfig.yaml")
		setAnn(t, cfg, "internal.config.kubernetes.io/path", "authconfig.yaml")
		for i, it := range items {
			setAnn(t, it, "config.kubernetes.io/path", "resources.yaml")
			setAnn(t, it, "internal.config.kubernetes.io/path", "resources.yaml")
			setAnn(t, it, "config.kubernetes.io/index", fmt.Sprint(i))
			setAnn(t, it, "internal.config.kubernetes.io/index", fmt.Sprint(i))
		}
		cfgItem, err := fn.ParseKubeObject([]byte(cfg.String()))
		if err != nil {
			t.Fatal(err)
		}
		items = append(fn.KubeObjects{cfgItem}, items...)
	case process.Resources:
		setAnn(t, cfg, "config.kubernetes.io/function", "exec:\n  path: authconfig-fn\n")
	}
	return &fn.ResourceList{Items: items, FunctionConfig: cfg}
}

func setAnn(t testing.TB, o *fn.KubeObject, k, v string) {
	t.Helper()
	if err := o.SetAnnotation(k, v); err != nil {
		t.Fatal(err)
	}
}
