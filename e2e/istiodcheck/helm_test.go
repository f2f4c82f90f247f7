package istiodcheck

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/cli"
	"meshauth.dev/meshauth/internal/helmrelease"
)

// TestHelmReleases: the Helm install of every golden case the function
// accepts (`authconfig-fn render --helm`, then `helm template` of the istiod,
// Dex and oauth2-proxy charts, the extras manifest, and the routes Component
// built by kustomize over the dashboard's VirtualService) runs through
// istiod among the corpus, with the same expectations as the components:
// the mesh config istiod reads is the istiod chart's ConfigMap (istio, key
// mesh, in istiod's namespace), wherever the AuthConfig says the kustomize
// output patches it.
func TestHelmReleases(t *testing.T) {
	istiodBin(t)
	root := repoRoot(t)
	helm := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(helm); err != nil {
		t.Skip("bin/helm is not built: run `make helm`")
	}
	charts, err := helmrelease.Find(root)
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "testdata", "cases", "*"))
	for _, dir := range dirs {
		file := filepath.Join(dir, "authconfig.yaml")
		c, ok := loadAuthConfig(t, file)
		if !ok {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			work := t.TempDir()
			values := filepath.Join(work, "values")
			var so, se bytes.Buffer
			if code := cli.Main([]string{"render", "-f", file, "--helm", values}, nil, &so, &se); code != 0 {
				t.Fatalf("render --helm exited %d:\n%s", code, se.String())
			}
			s := c.Spec
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var release []*yaml.RNode
			tmpl := func(name, chart, ns, file string) {
				out, err := helmrelease.Template(ctx, helm, name, chart, ns, filepath.Join(values, file))
				if err != nil {
					t.Fatal(err)
				}
				release = append(release, readObjects(t, out)...)
			}
			tmpl("istiod", charts.Istiod, s.Istio.Istiod.Namespace, "istiod-values.yaml")
			tmpl("oauth2-proxy", charts.OAuth2Proxy, s.OAuth2Proxy.Namespace, "oauth2-proxy-values.yaml")
			if s.Dex != nil {
				tmpl("dex", charts.Dex, s.Dex.Namespace, "dex-values.yaml")
			}
			if b, err := os.ReadFile(filepath.Join(values, "meshauth-extras.yaml")); err == nil {
				release = append(release, readObjects(t, b)...)
			}

			// The chart's mesh location, for the expectations and istiod.
			helmCfg := c
			meshCM := "istio"
			if rev, ok := strings.CutPrefix(s.Istio.Istiod.Deployment, "istiod-"); ok {
				meshCM += "-" + rev
			}
			helmCfg.Spec.Istio.Mesh = api.Mesh{ConfigMap: api.ObjectRef{Namespace: s.Istio.Istiod.Namespace, Name: meshCM}, Key: "mesh"}

			context := withContext(t, release, helmCfg.Spec)[len(release):]
			write(t, filepath.Join(work, "release.yaml"), toYAML(t, release))
			write(t, filepath.Join(work, "context.yaml"), toYAML(t, context))
			var components []string
			if _, err := os.Stat(filepath.Join(values, "routes", "kustomization.yaml")); err == nil {
				if err := os.CopyFS(filepath.Join(work, "routes"), os.DirFS(filepath.Join(values, "routes"))); err != nil {
					t.Fatal(err)
				}
				components = append(components, "routes")
			}
			stream := kustomizeBuild(t, work, []string{"release.yaml", "context.yaml"}, components)
			verify(t, stream, helmCfg)

			if filepath.Base(dir) != "default" {
				return
			}
			// Not vacuous: the istiod chart's mesh without the provider
			// makes istiod deny every request.
			for _, n := range stream {
				if n.GetKind() == "ConfigMap" && n.GetName() == meshCM && n.GetNamespace() == s.Istio.Istiod.Namespace {
					data := n.GetDataMap()
					data["mesh"] = strings.Replace(data["mesh"], "name: "+s.Istio.ProviderName, "name: not-"+s.Istio.ProviderName, 1)
					n.SetDataMap(data)
				}
			}
			if p := problems(t, stream, helmCfg); !strings.Contains(strings.Join(p, "\n"), badCustom) {
				t.Errorf("the chart's mesh without the provider: istiod must deny all (%s); got:\n%s", badCustom, strings.Join(p, "\n"))
			}
		})
	}
}
