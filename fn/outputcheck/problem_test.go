package outputcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProblemString(t *testing.T) {
	tests := map[string]struct {
		p    Problem
		want string
	}{
		"with field":    {Problem{"Service a/b", "spec.ports[0].port", "unknown field"}, "Service a/b: spec.ports[0].port: unknown field"},
		"without field": {Problem{"Namespace a", "", "duplicate object"}, "Namespace a: duplicate object"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSortProblemsIsDeterministicAndDeduplicates(t *testing.T) {
	in := []Problem{
		{"b", "x", "m"}, {"a", "y", "m"}, {"a", "x", "n"}, {"a", "x", "m"}, {"b", "x", "m"},
	}
	want := []Problem{{"a", "x", "m"}, {"a", "x", "n"}, {"a", "y", "m"}, {"b", "x", "m"}}
	if diff := cmp.Diff(want, sortProblems(in)); diff != "" {
		t.Errorf("sortProblems (-want +got):\n%s", diff)
	}
}

func TestJoinPath(t *testing.T) {
	tests := map[string]struct{ base, field, want string }{
		"empty base":  {"", "spec", "spec"},
		"dotted":      {"spec", "ports", "spec.ports"},
		"index":       {"spec.ports", "[0]", "spec.ports[0]"},
		"empty field": {"spec", "", "spec"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := joinPath(tc.base, tc.field); got != tc.want {
				t.Errorf("joinPath(%q, %q) = %q, want %q", tc.base, tc.field, got, tc.want)
			}
		})
	}
}
