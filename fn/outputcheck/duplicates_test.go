package outputcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestDuplicateKeys(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []fieldError
	}{
		"none": {in: "a: 1\nb: {c: 2}\n"},
		"top level": {
			in:   "a: 1\nb: 2\na: 3\n",
			want: []fieldError{{Field: "a", Message: "duplicate field (line 3)"}},
		},
		"nested in a list": {
			in:   "l:\n- x: 1\n  x: 2\n",
			want: []fieldError{{Field: "l[0].x", Message: "duplicate field (line 3)"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			n, err := yaml.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, duplicateKeys(n.YNode(), "")); diff != "" {
				t.Errorf("duplicateKeys (-want +got):\n%s", diff)
			}
		})
	}
}
