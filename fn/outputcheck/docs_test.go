package outputcheck

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsListEveryCheckedKind keeps docs/validation.md honest: a kind added
// to a table must be documented, and the documented versions must match.
func TestDocsListEveryCheckedKind(t *testing.T) {
	data, err := os.ReadFile("../../docs/validation.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for k, versions := range kubeKinds {
		if !regexp.MustCompile(`\b` + k.kind + `\b`).MatchString(doc) {
			t.Errorf("docs/validation.md does not list %s", k.kind)
		}
		for v := range versions {
			gv := v
			if k.group != "" {
				gv = k.group + "/" + v
			}
			if !strings.Contains(doc, "`"+gv+"`") {
				t.Errorf("docs/validation.md does not mention %s (for %s)", gv, k.kind)
			}
		}
	}
	for k, ik := range istioKinds {
		if !strings.Contains(doc, k.kind) || !strings.Contains(doc, "`"+k.group+"`") {
			t.Errorf("docs/validation.md does not list %s %s", k.group, k.kind)
		}
		for _, v := range ik.versions {
			if !strings.Contains(doc, "`"+v+"`") {
				t.Errorf("docs/validation.md does not mention version %s (for %s)", v, k.kind)
			}
		}
	}
}
