package outputcheck

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// problemCase is a row of a test table: one document (doc) or several
// (docs), and the problems Objects must find in them.
type problemCase struct {
	doc  string
	docs []string
	want []string
}

// checkProblems runs each case as a subtest named by its key.
func checkProblems(t *testing.T, cases map[string]problemCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			docs := tc.docs
			if docs == nil {
				docs = []string{tc.doc}
			}
			if diff := cmp.Diff(tc.want, problemsIn(t, docs...)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// problemsIn parses the YAML documents and returns Objects' problems as
// strings, which keeps the test tables readable.
func problemsIn(t *testing.T, docs ...string) []string {
	t.Helper()
	return problemStrings(parseDocs(t, docs...))
}

// parseDocs parses the YAML documents as one stream.
func parseDocs(t *testing.T, docs ...string) []*yaml.RNode {
	t.Helper()
	objs, err := Parse([]byte(strings.Join(docs, "\n---\n")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return objs
}

func problemStrings(objs []*yaml.RNode) []string {
	var out []string
	for _, p := range Objects(objs) {
		out = append(out, p.String())
	}
	return out
}

// configMap builds a ConfigMap whose key holds content as a block scalar,
// the way the embedded configs are written.
func configMap(namespace, name, key, content string) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + namespace + "\ndata:\n  " + key + ": |\n")
	for _, line := range strings.Split(strings.TrimRight(content, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// service builds a Service with the given ports.
func service(namespace, name string, ports ...string) string {
	s := "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + namespace + "\nspec:\n  ports:\n"
	for _, p := range ports {
		s += "  - name: p" + p + "\n    port: " + p + "\n"
	}
	return s
}

func stringsReplaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }
