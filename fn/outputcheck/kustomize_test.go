package outputcheck

import "testing"

const validComponent = `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
metadata:
  name: oauth2-proxy
resources:
- deployment.yaml
patches:
- path: mesh-config.yaml
  target: {kind: ConfigMap, name: istio}
`

func TestKustomization(t *testing.T) {
	tests := map[string]problemCase{
		"valid component":     {doc: validComponent},
		"valid kustomization": {doc: "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: auth\nresources: [a.yaml]\ncomponents: [../c]\n"},
		"unknown field": {
			doc:  replace(validComponent, "resources:", "resource:"),
			want: []string{"Component oauth2-proxy: resource: unknown field"},
		},
		"unknown field in a patch target": {
			doc:  replace(validComponent, "kind: ConfigMap", "kinds: ConfigMap"),
			want: []string{"Component oauth2-proxy: patches[0].target.kinds: unknown field"},
		},
		"deprecated field": {
			doc:  validComponent + "patchesStrategicMerge: [p.yaml]\n",
			want: []string{"Component oauth2-proxy: patchesStrategicMerge: deprecated field: use patches"},
		},
		"component with the kustomization version": {
			doc:  replace(validComponent, "v1alpha1", "v1beta1"),
			want: []string{"Component oauth2-proxy: apiVersion: a Component must be kustomize.config.k8s.io/v1alpha1"},
		},
	}
	checkProblems(t, tests)
}
