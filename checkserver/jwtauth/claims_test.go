package jwtauth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestClaimStrings: the access policy sees a string claim as a list of
// one, a list as its string elements, and nothing else at all, so a rule
// can never match a number, an object or a comma-joined string's parts.
func TestClaimStrings(t *testing.T) {
	type scenario struct {
		claim string // the claim as JSON, "" for absent
		want  map[string][]string
	}
	tests := map[string]scenario{
		"string":                 {claim: `"ml"`, want: map[string][]string{"c": {"ml"}}},
		"comma string stays one": {claim: `"a,admin"`, want: map[string][]string{"c": {"a,admin"}}},
		"list":                   {claim: `["ml","ops"]`, want: map[string][]string{"c": {"ml", "ops"}}},
		"list keeps strings":     {claim: `["ml",1,{"x":"admin"},["admin"],null]`, want: map[string][]string{"c": {"ml"}}},
		"number absent":          {claim: `7`, want: map[string][]string{}},
		"boolean absent":         {claim: `true`, want: map[string][]string{}},
		"object absent":          {claim: `{"admin":true}`, want: map[string][]string{}},
		"absent":                 {want: map[string][]string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			payload := `{"sub":"u"`
			if tc.claim != "" {
				payload += `,"c":` + tc.claim
			}
			c, err := parseClaims([]byte(payload + "}"))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, c.strings([]string{"c"})); d != "" {
				t.Fatalf("strings (-want +got):\n%s", d)
			}
		})
	}
	if got := (claims{"c": "x"}).strings(nil); got != nil {
		t.Fatalf("no names: %v, want nil (nothing to carry in the caches)", got)
	}
}
