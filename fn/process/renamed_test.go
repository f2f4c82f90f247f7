package process_test

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/process"
)

// TestRenamedLeavesNoDefault renders the case that moves every namespace,
// object and header away from the Kubeflow layout: a default that still shows
// up in the output is a place where a generator ignored the AuthConfig.
func TestRenamedLeavesNoDefault(t *testing.T) {
	defaults := []string{"istio-system", "kubeflow-userid", "kubeflow-groups", "oauth2_proxy_kubeflow",
		"kubeflow-gateway", "centraldashboard", "namespace: auth\n", "namespace: oauth2-proxy\n",
		".auth.svc", ".oauth2-proxy.svc", "name: istiod\n", "container: discovery"}
	for _, mode := range []process.Mode{process.Components, process.Resources} {
		t.Run(string(mode), func(t *testing.T) {
			rl := caseInput(t, filepath.Join(casesDir, "renamed"), mode)
			run(t, rl)
			for _, o := range rl.Items {
				if o.GetKind() == "AuthConfig" {
					continue
				}
				// Through JSON and back: comments (which explain the
				// baselines) do not count, values do.
				j, err := yaml.YAMLToJSON([]byte(o.String()))
				if err != nil {
					t.Fatal(err)
				}
				y, _ := yaml.JSONToYAML(j)
				for _, d := range defaults {
					if strings.Contains(string(y), d) {
						t.Errorf("%s %s/%s still holds the default %q:\n%s", o.GetKind(), o.GetNamespace(), o.GetName(), d, y)
					}
				}
			}
		})
	}
}
