package process

import (
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/api"
)

func vs(ns, name, gateway, http string) string {
	return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {namespace: " + ns + ", name: " + name + "}\nspec:\n  gateways: [" + gateway + "]\n  hosts: ['*']\n  http: " + http + "\n"
}

const catchAll = `[{match: [{uri: {prefix: /}}], route: [{destination: {host: d}}]}]`

func TestLogoutTarget(t *testing.T) {
	type scenario struct {
		spec    string   // extra AuthConfig spec lines
		items   []string // VirtualServices in the stream
		want    string   // the target after, namespace/name
		message string   // a substring of the result; "" = no result
		err     bool
	}
	tests := map[string]scenario{
		"default present":       {items: []string{vs("kubeflow", "centraldashboard", "kubeflow/kubeflow-gateway", catchAll)}, want: "kubeflow/centraldashboard"},
		"renamed dashboard":     {items: []string{vs("kubeflow", "dashboard", "kubeflow-gateway", catchAll)}, want: "kubeflow/dashboard", message: "goes first in VirtualService kubeflow/dashboard"},
		"route without a match": {items: []string{vs("apps", "home", "kubeflow/kubeflow-gateway", `[{route: [{destination: {host: d}}]}]`)}, want: "apps/home", message: "apps/home"},
		"regex catch-all":       {items: []string{vs("apps", "home", "kubeflow/kubeflow-gateway", `[{match: [{uri: {regex: "/.*"}}], route: [{destination: {host: d}}]}]`)}, want: "apps/home", message: "apps/home"},
		"prefix that misses":    {items: []string{vs("kubeflow", "kfam", "kubeflow/kubeflow-gateway", `[{match: [{uri: {prefix: /kfam/}}], route: [{destination: {host: d}}]}]`)}, want: "kubeflow/centraldashboard"},
		"header-conditional":    {items: []string{vs("kubeflow", "canary", "kubeflow/kubeflow-gateway", `[{match: [{headers: {x: {exact: y}}}], route: [{destination: {host: d}}]}]`)}, want: "kubeflow/centraldashboard"},
		"another gateway":       {items: []string{vs("kubeflow", "dashboard", "istio-system/other", catchAll)}, want: "kubeflow/centraldashboard"},
		"bare name, other ns":   {items: []string{vs("apps", "dashboard", "kubeflow-gateway", catchAll)}, want: "kubeflow/centraldashboard"},
		"set by the author":     {spec: "  logout:\n    virtualService: {namespace: kubeflow, name: mine}\n", items: []string{vs("kubeflow", "dashboard", "kubeflow-gateway", catchAll)}, want: "kubeflow/mine"},
		"two serve it": {items: []string{vs("kubeflow", "dashboard", "kubeflow-gateway", catchAll), vs("apps", "home", "kubeflow/kubeflow-gateway", catchAll)},
			want: "kubeflow/centraldashboard", message: "several VirtualServices on the gateway kubeflow/kubeflow-gateway serve /logout (apps/home, kubeflow/dashboard)", err: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := fn.ParseKubeObject([]byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: k}\nspec:\n  publicURL: https://kubeflow.example.com\n" + tc.spec))
			if err != nil {
				t.Fatal(err)
			}
			c, errs := api.Load([]byte(cfg.String()))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var items fn.KubeObjects
			for _, s := range tc.items {
				o, err := fn.ParseKubeObject([]byte(s))
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, o)
			}
			r := logoutTarget(&c, cfg, items)
			got := c.Spec.Logout.VirtualService.Namespace + "/" + c.Spec.Logout.VirtualService.Name
			if got != tc.want {
				t.Errorf("target %s, want %s", got, tc.want)
			}
			switch {
			case tc.message == "" && r != nil:
				t.Errorf("unexpected result %q", r.Message)
			case tc.message != "" && (r == nil || !strings.Contains(r.Message, tc.message)):
				t.Errorf("result %v, want one containing %q", r, tc.message)
			case r != nil && (r.Severity == fn.Error) != tc.err:
				t.Errorf("result severity %v, want error = %v", r.Severity, tc.err)
			}
		})
	}
}
