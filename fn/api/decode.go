package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/internal/suggest"
)

// MaxInputBytes bounds the AuthConfig document: a real one is a few KB, and
// the bound keeps hostile input from costing memory.
const MaxInputBytes = 1 << 20

// Decode parses an AuthConfig strictly: every unknown or misspelled field
// and every value of the wrong type is reported with its path, all at once.
func Decode(doc []byte) (AuthConfig, FieldErrors) {
	var errs FieldErrors
	if len(doc) > MaxInputBytes {
		errs.add("(document)", "is %d bytes, over the %d byte limit; an AuthConfig is a few KB", len(doc), MaxInputBytes)
		return AuthConfig{}, errs
	}
	if !utf8.Valid(doc) {
		errs.add("(document)", "is not valid UTF-8; save the file as UTF-8")
		return AuthConfig{}, errs
	}
	var raw any
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		errs.add("(document)", "is not valid YAML: %v", err)
		return AuthConfig{}, errs
	}
	root, ok := raw.(map[string]any)
	if !ok {
		errs.add("(document)", "must be a YAML mapping with apiVersion, kind, metadata and spec")
		return AuthConfig{}, errs
	}
	checkShape(root, reflect.TypeOf(AuthConfig{}), "", &errs)
	if len(errs) > 0 {
		return AuthConfig{}, errs.sorted()
	}
	// The shape is known good, so plain decoding cannot fail on fields or types.
	js, err := json.Marshal(root)
	if err != nil {
		errs.add("(document)", "cannot be converted to JSON: %v", err)
		return AuthConfig{}, errs
	}
	var c AuthConfig
	if err := json.Unmarshal(js, &c); err != nil {
		errs.add("(document)", "%v", err)
		return AuthConfig{}, errs
	}
	return c, nil
}

// checkShape walks a decoded YAML value against a Go type and reports
// unknown fields and type mismatches with their paths.
func checkShape(v any, t reflect.Type, path string, errs *FieldErrors) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return // null is "unset" for every field
	}
	at := path
	if at == "" {
		at = "(document)"
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			errs.add(at, "must be a mapping, got %s", describe(v))
			return
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			f, ok := fields[k]
			if !ok {
				errs.add(join(path, k), "unknown field%s", didYouMean(k, fields))
				continue
			}
			checkShape(m[k], f.Type, join(path, k), errs)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			errs.add(at, "must be a mapping of strings, got %s", describe(v))
			return
		}
		for _, k := range sortedKeys(m) {
			checkShape(m[k], t.Elem(), join(path, k), errs)
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			errs.add(at, "must be a list, got %s", describe(v))
			return
		}
		for i, item := range l {
			checkShape(item, t.Elem(), idx(path, i), errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			errs.add(at, "must be a string, got %s; quote the value", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			errs.add(at, "must be true or false, got %s", describe(v))
		}
	case reflect.Int32, reflect.Int64, reflect.Int:
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) || f < -1<<31 || f > 1<<31-1 {
			errs.add(at, "must be a whole number, got %s", describe(v))
		}
	}
}

type field struct{ Type reflect.Type }

func jsonFields(t reflect.Type) map[string]field {
	out := map[string]field{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		out[name] = field{Type: f.Type}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", clip(x))
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// suggest names the closest known field, so "publicUrl" points at "publicURL".
func didYouMean(key string, fields map[string]field) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	if best := suggest.Closest(key, names); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf("; known fields: %s", strings.Join(names, ", "))
}
