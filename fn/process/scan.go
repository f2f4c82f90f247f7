package process

import (
	"bytes"
)

// The fast path's scanner. It reads a ResourceList as lines and accepts it
// only in the block layout kyaml writes (kustomize's and kpt's own writer):
//
//	apiVersion: <plain>
//	kind: ResourceList
//	items:
//	- <item>            (compact: the dash at column 0, the item at column 2)
//	functionConfig:
//	  <object>
//
// Anything else at column 0 (comments, blank lines, document markers,
// results, other keys, a wide `  - ` first entry) and any carriage return
// make it refuse the whole list, and the SDK path runs instead.
//
// Each item is then checked against a small grammar that is a fixpoint of
// kyaml's encoder (canonical below): block mappings at +2, compact
// sequences, single-line plain/quoted scalars the emitter would write the
// same way, `|`/`|-` literals at +2, `[]`/`{}`, printable ASCII, no
// comments, anchors, tags, flow collections or blank lines. Such an item's
// bytes are exactly what the SDK path would write for it, so it is copied.
// An item outside the grammar is not refused: it is decoded alone (as
// "items:\n" + its bytes, the same context it has in the list) and written
// back the SDK's way. Item boundaries are safe because a canonical item has
// no multi-line token, and an item decoded alone that left a quote or a
// flow collection open would fail to decode (then the whole list falls
// back); anchors and aliases could cross items, so a decoded item holding
// '&' or '*' anywhere also makes the whole list fall back.

// rawItem is one item of the list as bytes.
type rawItem struct {
	text      []byte // from its "- " to its last newline
	canonical bool   // text is what the SDK path writes for it
	// Header fields, read from the text (canonical items only).
	apiVersion, kind, namespace, name string
	filePath, internalPath            string
}

func (r *rawItem) identity() string {
	return identity(r.apiVersion, r.kind, r.namespace, r.name)
}

func (r *rawItem) path() string {
	if r.internalPath != "" {
		return r.internalPath
	}
	return r.filePath
}

// scannedList is a ResourceList the scanner understood.
type scannedList struct {
	apiVersion string
	items      []*rawItem
	fc         []byte // the functionConfig's lines (indented by 2)
}

// scanList splits the list into items; ok is false when the list is not in
// the layout above.
func scanList(in []byte) (*scannedList, bool) {
	if len(in) == 0 || in[len(in)-1] != '\n' || bytes.IndexByte(in, '\r') >= 0 {
		return nil, false
	}
	l := &scannedList{}
	var seen struct{ apiVersion, kind, items, fc bool }
	section := "" // "items" or "fc" while their lines run
	var cur *rawItem
	itemStart, fcStart := 0, 0
	closeItem := func(end int) {
		if cur != nil {
			cur.text = in[itemStart:end]
			l.items = append(l.items, cur)
			cur = nil
		}
	}
	for pos := 0; pos < len(in); {
		nl := bytes.IndexByte(in[pos:], '\n') + pos
		line := in[pos:nl]
		next := nl + 1
		if len(line) > 0 && line[0] == ' ' {
			switch {
			case section == "items" && cur != nil:
			case section == "fc":
			default:
				return nil, false // indented line under no item (e.g. a wide first entry)
			}
			pos = next
			continue
		}
		if len(line) == 0 {
			if section == "items" && cur != nil {
				pos = next // a blank line inside an item (a literal's, say)
				continue
			}
			return nil, false
		}
		if bytes.HasPrefix(line, []byte("- ")) {
			if section != "items" || len(line) < 3 || line[2] == ' ' {
				return nil, false
			}
			closeItem(pos)
			cur, itemStart = &rawItem{}, pos
			pos = next
			continue
		}
		// A key of the list itself.
		closeItem(pos)
		if section == "fc" {
			l.fc = in[fcStart:pos]
		}
		section = ""
		switch {
		case bytes.HasPrefix(line, []byte("apiVersion: ")) && !seen.apiVersion:
			v := string(line[len("apiVersion: "):])
			if !plainOK(v) {
				return nil, false
			}
			l.apiVersion, seen.apiVersion = v, true
		case string(line) == "kind: ResourceList" && !seen.kind:
			seen.kind = true
		case string(line) == "items:" && !seen.items:
			seen.items, section = true, "items"
		case string(line) == "items: []" && !seen.items:
			seen.items = true
		case string(line) == "functionConfig:" && !seen.fc:
			seen.fc, section, fcStart = true, "fc", next
		default:
			return nil, false
		}
		pos = next
	}
	closeItem(len(in))
	if section == "fc" {
		l.fc = in[fcStart:]
	}
	if !seen.apiVersion || !seen.kind || !seen.items || !seen.fc || len(l.fc) == 0 {
		return nil, false
	}
	for _, it := range l.items {
		it.canonical = checkItem(it)
	}
	return l, true
}

// line is one line of an item: its indentation and the rest.
type line struct {
	ind  int
	body []byte
	raw  []byte
}

// itemChecker walks an item's lines by the canonical grammar.
type itemChecker struct {
	lines []line
	i     int
	it    *rawItem
}

func checkItem(it *rawItem) bool {
	c := &itemChecker{it: it}
	text := it.text
	for len(text) > 0 {
		nl := bytes.IndexByte(text, '\n')
		raw := text[:nl]
		text = text[nl+1:]
		for _, b := range raw {
			if b < 0x20 || b > 0x7e {
				return false
			}
		}
		ind := 0
		for ind < len(raw) && raw[ind] == ' ' {
			ind++
		}
		c.lines = append(c.lines, line{ind: ind, body: raw[ind:], raw: raw})
	}
	// The item's "- " stands for two spaces of indentation.
	c.lines[0].ind, c.lines[0].body = 2, c.lines[0].raw[2:]
	if c.lines[0].body[0] == ' ' {
		return false
	}
	if !c.mapping(2, nil) || c.i != len(c.lines) {
		return false
	}
	return it.kind != "" && it.apiVersion != ""
}

func (c *itemChecker) cur() *line {
	if c.i < len(c.lines) {
		return &c.lines[c.i]
	}
	return nil
}

// deeper reports whether the next line is indented past ind (which would
// continue a scalar or open a block the grammar does not allow there).
func (c *itemChecker) deeper(ind int) bool {
	l := c.cur()
	return l != nil && (l.ind > ind || len(l.body) == 0)
}

// mapping reads a block mapping whose keys sit at ind. path is the keys
// leading to it, for the header fields.
func (c *itemChecker) mapping(ind int, path []string) bool {
	n := 0
	// Where the header fields live, a repeated key could make the decoder
	// and the scanner read different values: refuse it there.
	var keys map[string]bool
	if len(path) == 0 || len(path) == 1 && path[0] == "metadata" || len(path) == 2 && path[0] == "metadata" && path[1] == "annotations" {
		keys = map[string]bool{}
	}
	for l := c.cur(); l != nil && l.ind == ind && !bytes.HasPrefix(l.body, []byte("- ")); l = c.cur() {
		key, rest, ok := splitKey(l.body)
		if !ok {
			return false
		}
		if keys != nil {
			if keys[key] {
				return false
			}
			keys[key] = true
		}
		c.i++
		n++
		kpath := append(path[:len(path):len(path)], key)
		switch {
		case rest == "":
			next := c.cur()
			switch {
			case next != nil && next.ind == ind+2 && len(next.body) > 0 && !bytes.HasPrefix(next.body, []byte("- ")):
				if !c.mapping(ind+2, kpath) {
					return false
				}
			case next != nil && next.ind == ind && bytes.HasPrefix(next.body, []byte("- ")):
				if !c.sequence(ind) {
					return false
				}
			case c.deeper(ind) || key == "metadata" || key == "annotations":
				// kyaml drops an empty metadata or annotations: not a fixpoint.
				return false
			}
		case rest == "|" || rest == "|-":
			if !c.literal(ind + 2) {
				return false
			}
		default:
			if (rest == "{}" || rest == "[]") && (key == "metadata" || key == "annotations") {
				return false
			}
			v, ok := scalarValue(rest)
			if !ok || c.deeper(ind) {
				return false
			}
			if !c.header(kpath, v) {
				return false
			}
		}
	}
	return n > 0
}

// sequence reads a compact block sequence whose dashes sit at ind.
func (c *itemChecker) sequence(ind int) bool {
	for l := c.cur(); l != nil && l.ind == ind && bytes.HasPrefix(l.body, []byte("- ")); l = c.cur() {
		entry := l.body[2:]
		if _, _, isKey := splitKey(entry); isKey {
			// "- key: value": a mapping whose keys sit at ind+2.
			l.ind, l.body = ind+2, entry
			if !c.mapping(ind+2, []string{"-"}) {
				return false
			}
			continue
		}
		if _, ok := scalarValue(string(entry)); !ok {
			return false
		}
		c.i++
		if c.deeper(ind) {
			return false
		}
	}
	return true
}

// literal reads the lines of a `|` or `|-` scalar, indented by ind: the
// first at exactly ind, none with trailing spaces, blank lines empty and
// never last (kyaml would not write them back).
func (c *itemChecker) literal(ind int) bool {
	first := c.cur()
	if first == nil || first.ind != ind || len(first.body) == 0 {
		return false
	}
	lastBlank := false
	for l := c.cur(); l != nil && (l.ind >= ind || len(l.raw) == 0); l = c.cur() {
		if len(l.body) == 0 {
			if len(l.raw) != 0 {
				return false // a line of spaces
			}
			lastBlank = true
		} else {
			if l.raw[len(l.raw)-1] == ' ' {
				return false
			}
			lastBlank = false
		}
		c.i++
	}
	return !lastBlank
}

// header records the fields the fast path matches items by.
func (c *itemChecker) header(path []string, v string) bool {
	var dst *string
	switch {
	case len(path) == 1 && path[0] == "apiVersion":
		dst = &c.it.apiVersion
	case len(path) == 1 && path[0] == "kind":
		dst = &c.it.kind
	case len(path) == 2 && path[0] == "metadata" && path[1] == "name":
		dst = &c.it.name
	case len(path) == 2 && path[0] == "metadata" && path[1] == "namespace":
		dst = &c.it.namespace
	case len(path) == 3 && path[0] == "metadata" && path[1] == "annotations" && path[2] == pathAnnotation:
		dst = &c.it.filePath
	case len(path) == 3 && path[0] == "metadata" && path[1] == "annotations" && path[2] == internalPathAnnotation:
		dst = &c.it.internalPath
	default:
		return true
	}
	*dst = v
	return true
}

// splitKey splits "key: rest" or "key:"; ok only for a key kyaml writes
// plain and unchanged.
func splitKey(body []byte) (key, rest string, ok bool) {
	i := bytes.Index(body, []byte(": "))
	switch {
	case i > 0:
		key, rest = string(body[:i]), string(body[i+2:])
	case len(body) > 1 && body[len(body)-1] == ':':
		key = string(body[:len(body)-1])
	default:
		return "", "", false
	}
	if len(key) > 100 || key == "<<" || !plainOK(key) || bytes.IndexByte([]byte(key), ':') >= 0 {
		return "", "", false
	}
	return key, rest, true
}

// scalarValue is the value of a single-line scalar that kyaml writes back
// exactly as it stands: plain, or quoted without escapes, or an empty flow
// collection.
func scalarValue(s string) (string, bool) {
	switch {
	case s == "[]" || s == "{}":
		return s, true
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		in := s[1 : len(s)-1]
		for i := 0; i < len(in); i++ {
			if in[i] == '"' || in[i] == '\\' {
				return "", false
			}
		}
		return in, true
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		in := s[1 : len(s)-1]
		var b []byte
		for i := 0; i < len(in); i++ {
			if in[i] == '\'' {
				if i+1 >= len(in) || in[i+1] != '\'' {
					return "", false
				}
				i++
			}
			b = append(b, in[i])
		}
		return string(b), true
	}
	return s, plainOK(s)
}

// plainOK reports whether the yaml.v3 emitter writes s as this very plain
// scalar in block context (its analyze_scalar rules for one line of
// printable ASCII), which also means the parser reads s back whole.
func plainOK(s string) bool {
	n := len(s)
	if n == 0 || s[0] == ' ' || s[n-1] == ' ' {
		return false
	}
	if n >= 3 && (s[:3] == "---" || s[:3] == "...") {
		return false
	}
	ws := func(i int) bool { return i >= n || s[i] == ' ' }
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if ws(1) {
			return false
		}
	}
	for i := 0; i < n; i++ {
		switch b := s[i]; {
		case b < 0x20 || b > 0x7e:
			return false
		case i > 0 && b == ':' && ws(i+1):
			return false
		case i > 0 && b == '#' && s[i-1] == ' ':
			return false
		}
	}
	return true
}
