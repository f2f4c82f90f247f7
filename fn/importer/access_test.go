package importer

import (
	"strings"
	"testing"
)

// TestImportNamesAccessRules: meshauth's access rules in an install are
// reported as its own (with where to write them), not as something an
// AuthConfig cannot say; its email_verified rule is not flagged either.
func TestImportNamesAccessRules(t *testing.T) {
	objs, err := Read("../../testdata/cases/access-rules/components.golden.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := roundTrip(t, objs, Options{PublicURL: "https://kubeflow.example.com"})
	for _, it := range res.Report.Inexpressible {
		if strings.Contains(it.Object, "access") || strings.Contains(it.Field, "x-meshauth-email-verified") || strings.Contains(it.Why, "x-meshauth-email-verified") {
			t.Errorf("meshauth's own %s %s reported as inexpressible: %s", it.Object, it.Field, it.Why)
		}
	}
	named := map[string]bool{}
	for _, it := range res.Report.Changed {
		if strings.Contains(it.Why, "spec.access, docs/access.md") {
			named[it.Setting] = true
		}
	}
	for _, s := range []string{"access rules", "envoyfilter meshauth-access"} {
		if !named[s] {
			t.Errorf("%q is not reported as meshauth's access rules, with where to write them", s)
		}
	}
}
