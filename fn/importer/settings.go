package importer

import (
	"cmp"
	"slices"
	"strings"

	"meshauth.dev/meshauth/fn/outputcheck"
)

// A setting is one effective setting of an install: what a program does,
// not how the YAML spells it. Key names the setting the same way whoever
// wrote it (oauth2-proxy's option name, the mesh provider's field, the
// jwtRule's issuer); Value is canonical, so two installs compare by key.
type setting struct {
	Key    string
	Value  string
	Object string // "Kind namespace/name"
	Field  string // path inside the object
}

// install is what import read from a set of objects: the settings, and
// the facts the AuthConfig is built from.
type install struct {
	settings map[string]setting
	// errors are inputs import could not read (bad TOML, bad YAML in a
	// ConfigMap string): reported all at once, and nothing is written.
	errors []outputcheck.Problem
	// inexpressible are things read that no AuthConfig field can say.
	inexpressible []Item
	// notes are facts for the report (the Secret refs named, guesses made).
	notes []Item

	o2p      *o2pFacts
	dex      *dexFacts
	mesh     *meshFacts
	policies []policyFacts
	jwt      []jwtFacts
	routes   routeFacts
	istiod   *istiodFacts
	cs       *csFacts
	// classifier: the public prefixes of meshauth's classifier EnvoyFilter.
	classifier []string
	objects    int
}

func newInstall() *install { return &install{settings: map[string]setting{}} }

func (in *install) set(key, value, object, field string) {
	in.settings[key] = setting{Key: key, Value: value, Object: object, Field: field}
}

func (in *install) get(key string) (string, bool) {
	s, ok := in.settings[key]
	return s.Value, ok
}

func (in *install) fail(object, field, msg string) {
	in.errors = append(in.errors, outputcheck.Problem{Object: object, Field: field, Message: msg})
}

func (in *install) cannot(object, field, what string) {
	in.inexpressible = append(in.inexpressible, Item{Object: object, Field: field, Why: what})
}

func (in *install) note(object, field, what string) {
	in.notes = append(in.notes, Item{Object: object, Field: field, Why: what})
}

// keys are the setting keys, sorted.
func (in *install) keys() []string {
	ks := make([]string, 0, len(in.settings))
	for k := range in.settings {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// list is a list value in canonical form: items joined by ", ", in order.
func list(items []string) string { return strings.Join(items, ", ") }

// set is a list whose order does not matter: sorted, lower-cased.
func setOf(items []string) string {
	l := make([]string, len(items))
	for i, s := range items {
		l[i] = strings.ToLower(s)
	}
	slices.Sort(l)
	return strings.Join(slices.Compact(l), ", ")
}

func sortItems(items []Item) []Item {
	slices.SortFunc(items, func(a, b Item) int {
		return cmp.Or(cmp.Compare(a.Setting, b.Setting), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Why, b.Why))
	})
	return slices.CompactFunc(items, func(a, b Item) bool { return a == b })
}

func objectID(kind, namespace, name string) string {
	if namespace == "" {
		return kind + " " + name
	}
	return kind + " " + namespace + "/" + name
}

func (in *install) has(key string) bool { _, ok := in.settings[key]; return ok }
