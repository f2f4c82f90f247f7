package apiservercheck

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/cli"
	"meshauth.dev/meshauth/internal/helmrelease"
	"meshauth.dev/meshauth/internal/kubeapi"
)

// TestDryRunHelmReleases sends the Helm install of every golden case the
// function accepts to the API server as a server-side dry-run: everything
// `helm template` renders from the istiod, Dex and oauth2-proxy charts with
// the values of `authconfig-fn render --helm`, and meshauth-extras.yaml.
func TestDryRunHelmReleases(t *testing.T) {
	helm := binary(t, "helm", "make helm")
	s, ctx := server(t)
	charts, err := helmrelease.Find(repo)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(repo, "testdata/cases/*/authconfig.yaml"))
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, errs := api.Load(doc)
		if len(errs) > 0 {
			continue
		}
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			values := filepath.Join(t.TempDir(), "helm")
			var so, se bytes.Buffer
			if code := cli.Main([]string{"render", "-f", f, "--helm", values}, nil, &so, &se); code != 0 {
				t.Fatalf("render --helm exited %d:\n%s", code, se.String())
			}
			sp := c.Spec
			var objs []map[string]any
			add := func(data []byte) {
				o, err := kubeapi.Objects(data)
				if err != nil {
					t.Fatal(err)
				}
				objs = append(objs, o...)
			}
			tmpl := func(release, chart, ns, file string) {
				out, err := helmrelease.Template(ctx, helm, release, chart, ns, filepath.Join(values, file))
				if err != nil {
					t.Fatal(err)
				}
				add(out)
			}
			tmpl("istiod", charts.Istiod, sp.Istio.Istiod.Namespace, "istiod-values.yaml")
			tmpl("oauth2-proxy", charts.OAuth2Proxy, sp.OAuth2Proxy.Namespace, "oauth2-proxy-values.yaml")
			if sp.Dex != nil {
				tmpl("dex", charts.Dex, sp.Dex.Namespace, "dex-values.yaml")
			}
			if b, err := os.ReadFile(filepath.Join(values, "meshauth-extras.yaml")); err == nil {
				add(b)
			}
			dryRun(t, s, ctx, "helm release "+name, objs)
			t.Logf("%d objects accepted (server-side dry-run)", len(objs))
			if name != "default" {
				return
			}
			// Not vacuous: the chart's Deployment with a negative replica
			// count, and the extras' CUSTOM policy with an unknown action,
			// are refused.
			for _, o := range objs {
				meta := o["metadata"].(map[string]any)
				switch {
				case o["kind"] == "Deployment" && meta["name"] == "oauth2-proxy":
					o["spec"].(map[string]any)["replicas"] = -1
				case o["kind"] == "AuthorizationPolicy" && meta["name"] == "istio-ingressgateway-oauth2-proxy":
					o["spec"].(map[string]any)["action"] = "CUSTOMISED"
				default:
					continue
				}
				if err := s.Apply(ctx, o, true); err == nil {
					t.Errorf("%s: the broken object was accepted", id(o))
				} else {
					t.Logf("broken %s refused: %.200s", id(o), err)
				}
			}
		})
	}
}
