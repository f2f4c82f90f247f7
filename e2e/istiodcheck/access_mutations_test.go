package istiodcheck

import (
	"regexp"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestAccessMutations: each way access rules could be compiled wrongly
// is caught by the istiod check of the access-rules case.
func TestAccessMutations(t *testing.T) {
	c, base := goldenCase(t, "access-rules", "components")
	named := func(kind, name string) func(*yaml.RNode) bool {
		return func(n *yaml.RNode) bool { return n.GetKind() == kind && n.GetName() == name }
	}
	// rewrite replaces re in the object's YAML.
	rewrite := func(re, with string) func(*testing.T, *yaml.RNode) {
		return func(t *testing.T, n *yaml.RNode) {
			before := n.MustString()
			after := regexp.MustCompile(re).ReplaceAllString(before, with)
			if after == before {
				t.Fatalf("the mutation %q changes nothing", re)
			}
			*n = *yaml.MustParse(after)
		}
	}
	for name, m := range map[string]struct {
		match  func(*yaml.RNode) bool
		mutate func(*testing.T, *yaml.RNode)
	}{
		"a group rule compiled to a header match instead of the verified claim": {
			named("AuthorizationPolicy", "istio-ingressgateway-access"), rewrite(`request\.auth\.claims\[groups\]`, "request.headers[kubeflow-groups]")},
		"a rule's classifier without the normalisations (the literal prefix only)": {
			named("EnvoyFilter", "meshauth-access"), rewrite(`(?m)^(\s+regex: )\(\?is\).*$`, "${1}/pipeline/.*|/ml_metadata/.*")},
		"a public prefix that opens its siblings": {
			named("EnvoyFilter", "meshauth-public-paths"), rewrite(`(?m)^(\s+regex: )/kserve/.*$`, "${1}/kserve.*")},
		"a machines rule that admits the login issuer": {
			named("AuthorizationPolicy", "istio-ingressgateway-access"), rewrite(`- https://token\.actions\.githubusercontent\.com/\*`, `- "*"`)},
	} {
		t.Run(name, func(t *testing.T) { expectCaught(t, base, c, m.match, m.mutate) })
	}
}
