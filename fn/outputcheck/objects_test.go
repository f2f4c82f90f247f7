package outputcheck

import "testing"

func TestObjectsGeneric(t *testing.T) {
	tests := map[string]problemCase{
		"not a mapping": {
			docs: []string{"- a\n- b\n"},
			want: []string{"<document>: not a YAML mapping"},
		},
		"no kind": {
			docs: []string{"apiVersion: v1\nmetadata: {name: a}\n"},
			want: []string{"<no kind> a: apiVersion and kind are required"},
		},
		"duplicate keys stop further checks": {
			docs: []string{"apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\nspec:\n  typo: 1\n"},
			want: []string{"Service a: metadata.name: duplicate field (line 5)"},
		},
		"the same object twice": {
			docs: []string{
				"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
				"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
			},
			want: []string{"Namespace a: object appears more than once"},
		},
		"unknown kinds are skipped": {
			docs: []string{"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec: {anything: goes}\n"},
		},
		"problems come sorted by object": {
			docs: []string{
				"apiVersion: v1\nkind: Namespace\nmetadata: {name: z}\nbad: 1\n",
				"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nbad: 1\n",
			},
			want: []string{"Namespace a: bad: unknown field", "Namespace z: bad: unknown field"},
		},
	}
	checkProblems(t, tests)
}
