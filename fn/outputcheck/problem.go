// Package outputcheck checks the objects authconfig-fn emits before they leave
// the function: strict decoding of Kubernetes, Istio and kustomize objects,
// schema checks of the Dex config and oauth2_proxy.cfg that both programs
// would otherwise accept silently, and cross-object checks that the pieces
// agree with each other. See docs/validation.md.
package outputcheck

import (
	"cmp"
	"slices"
)

// Problem is one thing wrong with one object.
type Problem struct {
	// Object is "Kind namespace/name" ("Kind name" when cluster scoped).
	Object string
	// Field is a path inside the object, "" when the problem is the object
	// as a whole. Paths into embedded configs start with the ConfigMap key,
	// e.g. data[config.yaml].staticClients[0].id.
	Field string
	// Message says what is wrong, in words a user can act on.
	Message string
}

// String renders "Object: Field: Message", leaving out an empty Field.
func (p Problem) String() string {
	if p.Field == "" {
		return p.Object + ": " + p.Message
	}
	return p.Object + ": " + p.Field + ": " + p.Message
}

// sortProblems orders problems by object, field and message and drops exact
// duplicates, so the same input always yields the same report (golden files
// and KRM results diff cleanly).
func sortProblems(ps []Problem) []Problem {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(ps)
}

// joinPath appends a field to a path with a dot, tolerating an empty base.
func joinPath(base, field string) string {
	if base == "" {
		return field
	}
	if field == "" {
		return base
	}
	if field[0] == '[' {
		return base + field
	}
	return base + "." + field
}
