package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// MaxInputBytes bounds the AuthConfig document: a real one is a few KB, and
// the bound keeps hostile input from costing memory.
const MaxInputBytes = 1 << 20

// Load is what every front (CLI, KRM function) runs on an AuthConfig: decode
// what can be decoded, default it, validate it, and return every problem at
// once — unknown fields, type errors, duplicate keys and semantic errors
// together, sorted by path. A problem the decoder already reported is not
// reported again as a consequence (a `replicas: two` is not also "missing").
func Load(doc []byte) (AuthConfig, FieldErrors) {
	c, d := decode(doc)
	if d.fatal {
		return AuthConfig{}, capped(d.errs.sorted())
	}
	c, errs := load(c, d.covers)
	return c, capped(append(errs, d.errs...).sorted())
}

// LoadValue is Load for an AuthConfig built in Go rather than decoded:
// default, validate, and carry the parsed URLs to the generators.
func LoadValue(c AuthConfig) (AuthConfig, FieldErrors) {
	c, errs := load(c, func(string) bool { return false })
	return c, capped(errs.sorted())
}

// load defaults and validates c; reported says which paths the decoder
// already reported, whose consequences are not reported again.
func load(c AuthConfig, reported func(path string) bool) (AuthConfig, FieldErrors) {
	c = Defaulted(c)
	all, urls := validate(c)
	var errs FieldErrors
	for _, e := range all {
		if !reported(e.Path) {
			errs = append(errs, e)
		}
	}
	c.Spec.urls = urls
	return c, errs
}

// MaxErrors bounds what one document can make us print: a hand-written
// AuthConfig has a few problems, a generated or hostile one could have
// millions.
const MaxErrors = 100

func capped(errs FieldErrors) FieldErrors {
	if len(errs) <= MaxErrors {
		return errs
	}
	rest := len(errs) - MaxErrors
	errs = errs[:MaxErrors:MaxErrors]
	errs.add("(document)", "has %d more problems; fix the ones above and run again", rest)
	return errs
}

// Decode parses an AuthConfig without defaulting or validating it. It walks
// the YAML node tree against the Go types, so it decodes every field it can
// and reports every unknown field, value of the wrong type and duplicate key
// with its path. The AuthConfig holds what could be decoded even when there
// are errors; a field that failed keeps its zero value.
func Decode(doc []byte) (AuthConfig, FieldErrors) {
	c, d := decode(doc)
	return c, d.errs.sorted()
}

func decode(doc []byte) (AuthConfig, *decoder) {
	d := &decoder{}
	var c AuthConfig
	if len(doc) > MaxInputBytes {
		d.fail("is %d bytes, over the %d byte limit; an AuthConfig is a few KB", len(doc), MaxInputBytes)
		return c, d
	}
	if !utf8.Valid(doc) {
		d.fail("is not valid UTF-8; save the file as UTF-8")
		return c, d
	}
	docs, err := parseDocuments(doc)
	if err != nil {
		d.syntaxError(doc, err)
		return c, d
	}
	switch {
	case len(docs) == 0:
		d.fail("must be a YAML mapping with apiVersion, kind, metadata and spec")
		return c, d
	case len(docs) > 1:
		d.fail("holds %d YAML documents (%s); put one AuthConfig per file", len(docs), describeDocuments(docs))
		return c, d
	}
	root := docs[0]
	if root.Kind != yaml.MappingNode {
		d.fail("must be a YAML mapping with apiVersion, kind, metadata and spec")
		return c, d
	}
	d.value(root, valueOf(&c), "")
	return c, d
}

// parseDocuments returns the content node of every non-empty document.
func parseDocuments(doc []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var out []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			if c := n.Content[0]; !(c.Kind == yaml.ScalarNode && c.Tag == "!!null") {
				out = append(out, c)
			}
		}
	}
}

// describeDocuments names each document by kind, name and line, so the user
// sees which AuthConfigs a stream held.
func describeDocuments(docs []*yaml.Node) string {
	parts := make([]string, len(docs))
	for i, n := range docs {
		kind, name := mappingString(n, "kind"), ""
		if m := mappingValue(n, "metadata"); m != nil {
			name = mappingString(m, "name")
		}
		switch {
		case kind == "":
			parts[i] = fmt.Sprintf("line %d", n.Line)
		case name == "":
			parts[i] = fmt.Sprintf("%s at line %d", kind, n.Line)
		default:
			parts[i] = fmt.Sprintf("%s %q at line %d", kind, name, n.Line)
		}
	}
	return strings.Join(parts, ", ")
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func mappingString(n *yaml.Node, key string) string {
	if v := mappingValue(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError reports a document the YAML parser refused. Tabs are the
// classic cause and the parser only names the line: every tab that indents
// a line is reported with its line and column and the fix.
func (d *decoder) syntaxError(doc []byte, err error) {
	msg := err.Error()
	// yaml.v3 numbers the lines of parser (not scanner) errors from 0; the
	// v2 parser behind sigs.k8s.io/yaml counts right, so its wording is used
	// when it refuses the document too.
	var raw any
	if err2 := sigsyaml.Unmarshal(doc, &raw); err2 != nil {
		msg = strings.TrimPrefix(err2.Error(), "error converting YAML to JSON: ")
	}
	errLine := 0
	if m := yamlErrorLine.FindStringSubmatch(msg); m != nil {
		errLine, _ = strconv.Atoi(m[1])
		msg = "line " + m[1] + ": " + m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	tabs := tabIndents(doc)
	const maxTabs = 10
	for i, t := range tabs {
		if i == maxTabs {
			d.fail("has %d more lines indented with tabs; replace every tab in the indentation with spaces", len(tabs)-maxTabs)
			break
		}
		d.fail("line %d, column %d: a tab indents this line, and YAML indents with spaces only; replace the tab with spaces", t[0], t[1])
	}
	for _, t := range tabs {
		if t[0] == errLine {
			return // the tab is the reason the parser gave up
		}
	}
	d.fail("is not valid YAML: %s", msg)
}

// tabIndents returns the line and column (1-based) of the first tab in the
// leading whitespace of each line.
func tabIndents(doc []byte) [][2]int {
	var out [][2]int
	for i, line := range strings.Split(string(doc), "\n") {
		for col, r := range line {
			if r == '\t' {
				out = append(out, [2]int{i + 1, col + 1})
				break
			}
			if r != ' ' {
				break
			}
		}
	}
	return out
}
