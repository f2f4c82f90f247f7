package process_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/process"
)

// TestInStreamKeepsWhatItDoesNotOwn patches Kubeflow's own istio mesh
// ConfigMap, Dex ConfigMap and dashboard VirtualService in the stream and
// checks, independently of the golden file, that every setting the function
// does not own is still there with its value: every mesh key and other
// extension provider, every Dex key, connector, password and client, every
// dashboard route in its order.
func TestInStreamKeepsWhatItDoesNotOwn(t *testing.T) {
	dir := filepath.Join(casesDir, "kubeflow-package")
	before := caseInput(t, dir, process.Resources)
	in := map[string]*fn.KubeObject{}
	for _, o := range before.Items {
		in[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o.Copy()
	}
	out := run(t, before)
	after, err := fn.ParseResourceList(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*fn.KubeObject{}
	for _, o := range after.Items {
		got[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
	}

	t.Run("mesh", func(t *testing.T) {
		was, now := dataKey(t, in, got, "ConfigMap/istio-system/istio", "mesh")
		keysKept(t, "mesh key ", was, now, "extensionProviders")
		kept := byName(t, now["extensionProviders"], "name")
		for name, p := range byName(t, was["extensionProviders"], "name") {
			if name != "oauth2-proxy" && !reflect.DeepEqual(kept[name], p) {
				t.Errorf("extension provider %s: was %v, now %v", name, p, kept[name])
			}
		}
		if _, ok := kept["oauth2-proxy"]; !ok {
			t.Errorf("extension provider oauth2-proxy not added: %v", now["extensionProviders"])
		}
	})

	t.Run("dex", func(t *testing.T) {
		was, now := dataKey(t, in, got, "ConfigMap/auth/dex", "config.yaml")
		keysKept(t, "Dex key ", was, now, "staticClients")
		clients, _ := now["staticClients"].([]any)
		for _, c := range was["staticClients"].([]any) {
			if !containsValue(clients, c) {
				t.Errorf("Dex client %v lost; clients now %v", c, clients)
			}
		}
		if len(clients) != len(was["staticClients"].([]any))+1 {
			t.Errorf("want the original clients plus oauth2-proxy's, got %v", clients)
		}
	})

	t.Run("dashboard", func(t *testing.T) {
		key := "VirtualService/kubeflow/centraldashboard"
		was, now := spec(t, in[key]), spec(t, got[key])
		wasRoutes, _ := was["http"].([]any)
		nowRoutes, _ := now["http"].([]any)
		if len(nowRoutes) != len(wasRoutes)+1 {
			t.Fatalf("want the logout route plus %d original routes, got %v", len(wasRoutes), nowRoutes)
		}
		if !reflect.DeepEqual(nowRoutes[1:], wasRoutes) {
			t.Errorf("original routes changed or reordered:\nwas %v\nnow %v", wasRoutes, nowRoutes[1:])
		}
		keysKept(t, "spec.", was, now, "http")
	})
}

// keysKept wants every key of was, but the one the function owns, in now
// with the same value.
func keysKept(t *testing.T, what string, was, now map[string]any, owned string) {
	t.Helper()
	for k, v := range was {
		if k != owned && !reflect.DeepEqual(now[k], v) {
			t.Errorf("%s%s: was %v, now %v", what, k, v, now[k])
		}
	}
}

// dataKey decodes data[key] of the same ConfigMap before and after.
func dataKey(t *testing.T, in, out map[string]*fn.KubeObject, id, key string) (was, now map[string]any) {
	t.Helper()
	if in[id] == nil || out[id] == nil {
		t.Fatalf("%s missing: in %v, out %v", id, in[id] != nil, out[id] != nil)
	}
	decode := func(o *fn.KubeObject) map[string]any {
		s, _, _ := o.NestedString("data", key)
		m := map[string]any{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("%s data[%s]: %v", id, key, err)
		}
		return m
	}
	return decode(in[id]), decode(out[id])
}

func spec(t *testing.T, o *fn.KubeObject) map[string]any {
	t.Helper()
	if o == nil {
		t.Fatal("object missing")
	}
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(o.String()), &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m["spec"].(map[string]any)
	return s
}

func byName(t *testing.T, list any, field string) map[string]any {
	t.Helper()
	out := map[string]any{}
	items, _ := list.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		name, _ := m[field].(string)
		out[name] = it
	}
	return out
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}
