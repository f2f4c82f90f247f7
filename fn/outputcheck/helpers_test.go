package outputcheck

import (
	"strings"
	"testing"
)

// problemsIn parses the YAML documents and returns Objects' problems as
// strings, which keeps the test tables readable.
func problemsIn(t *testing.T, docs ...string) []string {
	t.Helper()
	objs, err := Parse([]byte(strings.Join(docs, "\n---\n")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
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
