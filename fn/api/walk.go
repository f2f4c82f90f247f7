package api

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/internal/suggest"
)

// maxNodes bounds the values one document may expand to: YAML aliases can
// make a small file name millions of values ("billion laughs").
const maxNodes = 100_000

// decoder walks a YAML node tree against the AuthConfig's Go types (their
// json tags name the fields) and sets every value it can. It is generic: no
// field is special-cased, so a new field in types.go is decoded and checked
// like every other.
type decoder struct {
	errs FieldErrors
	// failed are paths whose value could not be decoded: validation
	// problems at or under them are consequences, not news.
	failed []string
	// meant are fields a misspelled key probably meant, absent themselves:
	// a problem exactly there ("is required") is a consequence; problems
	// inside them are still reported.
	meant []string
	// fatal means the document could not be walked at all.
	fatal bool
	nodes int
}

func valueOf(p any) reflect.Value { return reflect.ValueOf(p).Elem() }

func (d *decoder) fail(format string, args ...any) {
	d.errs.add("(document)", format, args...)
	d.fatal = true
}

// typeError reports a value of the wrong type and marks its path failed.
func (d *decoder) typeError(path, format string, args ...any) {
	d.errs.add(at(path), format, args...)
	d.failed = append(d.failed, path)
}

// covers tells whether a validation problem at path is explained by a
// decoding problem: the same field, or a field inside it.
func (d *decoder) covers(path string) bool {
	for _, f := range d.failed {
		if path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return true
		}
	}
	for _, m := range d.meant {
		if path == m {
			return true
		}
	}
	return false
}

func at(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

// value decodes n into v (settable), reporting problems under path. Each
// Go kind has its own step, so every kind is decoded and refused the same
// way.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n, ok := d.enter(n)
	if !ok {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		d.pointer(n, v, path)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.stringMap(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

// enter counts n against maxNodes and resolves its aliases; ok is false
// when there is nothing to decode (over the budget, or null: "unset" for
// every field).
func (d *decoder) enter(n *yaml.Node) (*yaml.Node, bool) {
	if d.nodes++; d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail("expands to more than %d values (YAML aliases?); an AuthConfig is a few KB", maxNodes)
		}
		return nil, false
	}
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n, !(n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// pointer sets v only when the value itself was of the right type.
func (d *decoder) pointer(n *yaml.Node, v reflect.Value, path string) {
	elem := reflect.New(v.Type().Elem())
	before := len(d.failed)
	d.value(n, elem.Elem(), path)
	if len(d.failed) > before && d.failed[before] == path {
		return // the value itself was of the wrong type: leave it unset
	}
	v.Set(elem)
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(path, "must be a mapping, got %s", describe(n))
		return
	}
	fields := jsonFields(v.Type())
	d.mapping(n, path, func(key string, val *yaml.Node, keyPath string) {
		i, ok := fields[key]
		if !ok {
			d.unknownField(n, key, keyPath, path, fields)
			return
		}
		d.value(val, v.Field(i), keyPath)
	})
}

func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.typeError(path, "must be a mapping of strings, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	d.mapping(n, path, func(key string, val *yaml.Node, keyPath string) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.value(val, e, keyPath)
		m.SetMapIndex(reflect.ValueOf(key), e)
	})
	v.Set(m)
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.typeError(path, "must be a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), idx(path, i))
	}
	v.Set(s)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			d.typeError(path, "must be a string, got %s; quote the value", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.typeError(path, "must be true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		var f float64
		ok := n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") && n.Decode(&f) == nil
		lo, hi := intRange(v.Kind())
		if !ok || f != math.Trunc(f) || f < lo || f > hi {
			d.typeError(path, "must be a whole number, got %s", describe(n))
			return
		}
		v.SetInt(int64(f))
	default:
		// A Go type the walker does not know is a meshauth bug, not the
		// user's: fail loudly rather than drop the value.
		d.typeError(path, "has a type the decoder does not handle (%s); please report this meshauth bug", v.Type())
	}
}

func intRange(k reflect.Kind) (float64, float64) {
	if k == reflect.Int32 {
		return math.MinInt32, math.MaxInt32
	}
	return -(1 << 53), 1 << 53 // exactly representable as a float64
}

// mapping calls each for every key of n in document order. A key given twice
// is an error naming both lines; only its first value is decoded.
func (d *decoder) mapping(n *yaml.Node, path string, each func(key string, val *yaml.Node, keyPath string)) {
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		for k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" || k.Tag == "!!null" || k.Value == "" {
			d.errs.add(at(path), "has a key that is %s at line %d; keys are plain names (YAML merge keys << are not supported either)", describeKey(k), k.Line)
			continue
		}
		keyPath := join(path, k.Value)
		if prev, dup := first[k.Value]; dup {
			where := fmt.Sprintf("twice, at line %d and at line %d", prev.Line, k.Line)
			if prev.Line == k.Line {
				where = fmt.Sprintf("twice on line %d (columns %d and %d)", k.Line, prev.Column, k.Column)
			}
			d.errs.add(keyPath, "is given %s; delete one (YAML parsers silently keep the last)", where)
			continue
		}
		first[k.Value] = k
		each(k.Value, val, keyPath)
	}
}

// unknownField reports a key the type has no field for, with the closest
// known name; a suggested field the mapping does not set is marked meant,
// so its "is required" is not reported on top.
func (d *decoder) unknownField(n *yaml.Node, key, keyPath, path string, fields map[string]int) {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	best := suggest.Closest(key, names)
	if best == "" {
		d.errs.add(keyPath, "unknown field; known fields: %s", strings.Join(names, ", "))
		return
	}
	d.errs.add(keyPath, "unknown field; did you mean %q?", best)
	if mappingValue(n, best) == nil {
		d.meant = append(d.meant, join(path, best))
	}
}

// jsonFields maps each json field name of struct type t to its index.
func jsonFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out[name] = i
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// describe says what a node is, in the user's words.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", clip(n.Value))
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!null":
			return "null"
		}
		return fmt.Sprintf("a value tagged %s", n.Tag)
	}
	return "an empty document"
}

func clip(s string) string {
	if utf8Len := len([]rune(s)); utf8Len > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

func describeKey(k *yaml.Node) string {
	if k.Tag == "!!merge" {
		return "a merge key <<"
	}
	if k.Kind == yaml.ScalarNode && (k.Tag == "!!null" || k.Value == "") {
		return "empty"
	}
	return describe(k)
}
