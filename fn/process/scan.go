package process

import (
	"bytes"
	"unicode/utf8"
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
// same way, `|`/`|-`/`|2`/`|2-` literals at +2, `[]`/`{}`, printable
// characters, no comments, anchors, tags, flow collections or blank lines. Such an item's
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
// the layout above. One pass over the lines; listScanner keeps what the
// lines share (the section they are in, the item open).
func scanList(in []byte) (*scannedList, bool) {
	if len(in) == 0 || in[len(in)-1] != '\n' || bytes.IndexByte(in, '\r') >= 0 {
		return nil, false
	}
	s := &listScanner{in: in, l: &scannedList{}}
	for pos := 0; pos < len(in); {
		nl := bytes.IndexByte(in[pos:], '\n') + pos
		if !s.line(pos, nl) {
			return nil, false
		}
		pos = nl + 1
	}
	if !s.finish() {
		return nil, false
	}
	c := &itemChecker{}
	for _, it := range s.l.items {
		it.canonical = c.check(it)
	}
	return s.l, true
}

// listScanner is scanList's state between lines.
type listScanner struct {
	in      []byte
	l       *scannedList
	seen    struct{ apiVersion, kind, items, fc bool }
	section string // "items" or "fc" while their lines run
	cur     *rawItem
	// Where the open item and the functionConfig's lines start.
	itemStart, fcStart int
}

// line takes the line in[pos:nl]; false refuses the list.
func (s *listScanner) line(pos, nl int) bool {
	line := s.in[pos:nl]
	switch {
	case len(line) > 0 && line[0] == ' ':
		// Under an item or the functionConfig only (not under a wide first entry, say).
		return s.section == "items" && s.cur != nil || s.section == "fc"
	case len(line) == 0:
		return s.section == "items" && s.cur != nil // a blank line inside an item (a literal's, say)
	case bytes.HasPrefix(line, dash):
		if s.section != "items" || len(line) < 3 || line[2] == ' ' {
			return false
		}
		s.closeItem(pos)
		s.cur, s.itemStart = &rawItem{}, pos
		return true
	}
	return s.listKey(line, pos, nl+1)
}

// listKey takes a key of the list itself, at pos, whose value's lines (if
// any) start at next.
func (s *listScanner) listKey(line []byte, pos, next int) bool {
	s.endSection(pos)
	switch {
	case bytes.HasPrefix(line, []byte("apiVersion: ")) && !s.seen.apiVersion:
		v := line[len("apiVersion: "):]
		if !plainOK(v) || !printableLine(line) {
			return false
		}
		s.l.apiVersion, s.seen.apiVersion = string(v), true
	case string(line) == "kind: ResourceList" && !s.seen.kind:
		s.seen.kind = true
	case string(line) == "items:" && !s.seen.items:
		s.seen.items, s.section = true, "items"
	case string(line) == "items: []" && !s.seen.items:
		s.seen.items = true
	case string(line) == "functionConfig:" && !s.seen.fc:
		s.seen.fc, s.section, s.fcStart = true, "fc", next
	default:
		return false
	}
	return true
}

// endSection ends the running section (and its last item) at end.
func (s *listScanner) endSection(end int) {
	s.closeItem(end)
	if s.section == "fc" {
		s.l.fc = s.in[s.fcStart:end]
	}
	s.section = ""
}

func (s *listScanner) closeItem(end int) {
	if s.cur != nil {
		s.cur.text = s.in[s.itemStart:end]
		s.l.items = append(s.l.items, s.cur)
		s.cur = nil
	}
}

// finish ends the last section; false when a part of the list is missing.
func (s *listScanner) finish() bool {
	s.endSection(len(s.in))
	return s.seen.apiVersion && s.seen.kind && s.seen.items && s.seen.fc && len(s.l.fc) > 0
}

// line is one line of an item: its indentation and the rest.
type line struct {
	ind  int
	body []byte
	raw  []byte
}

// Where a mapping sits, for the header fields the fast path matches by.
const (
	inOther       = iota
	inItem        // the item's own keys
	inMetadata    // metadata
	inAnnotations // metadata.annotations
)

// itemChecker walks an item's lines by the canonical grammar. Its buffers
// are reused from item to item: the scan allocates next to nothing.
type itemChecker struct {
	lines []line
	i     int
	it    *rawItem
	keys  [3][][]byte // keys seen in the header mappings
}

func (c *itemChecker) check(it *rawItem) bool {
	c.it, c.i, c.lines = it, 0, c.lines[:0]
	for k := range c.keys {
		c.keys[k] = c.keys[k][:0]
	}
	text := it.text
	for len(text) > 0 {
		nl := bytes.IndexByte(text, '\n')
		raw := text[:nl]
		text = text[nl+1:]
		if !printableLine(raw) {
			return false
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
	if !c.mapping(2, inItem) || c.i != len(c.lines) {
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
// continue a scalar or open a block the grammar does not allow there) or
// blank.
func (c *itemChecker) deeper(ind int) bool {
	l := c.cur()
	return l != nil && (l.ind > ind || len(l.body) == 0)
}

var dash = []byte("- ")

// mapping reads a block mapping whose keys sit at ind; where says which
// header mapping it is, if any.
func (c *itemChecker) mapping(ind, where int) bool {
	n := 0
	for l := c.cur(); l != nil && l.ind == ind && !bytes.HasPrefix(l.body, dash); l = c.cur() {
		key, rest, ok := splitKey(l.body)
		if !ok {
			return false
		}
		// Where the header fields live, a repeated key could make the
		// decoder and the scanner read different values: refuse it there.
		if where != inOther {
			seen := &c.keys[where-1]
			for _, k := range *seen {
				if bytes.Equal(k, key) {
					return false
				}
			}
			*seen = append(*seen, key)
		}
		c.i++
		n++
		empty := string(key) == "metadata" || string(key) == "annotations"
		switch {
		case len(rest) == 0:
			next := c.cur()
			switch {
			case next != nil && next.ind == ind+2 && len(next.body) > 0 && !bytes.HasPrefix(next.body, dash):
				if !c.mapping(ind+2, child(where, key)) {
					return false
				}
			case next != nil && next.ind == ind && bytes.HasPrefix(next.body, dash):
				if !c.sequence(ind) {
					return false
				}
			case c.deeper(ind) || empty:
				// kyaml drops an empty metadata or annotations: not a fixpoint.
				return false
			}
		case string(rest) == "|" || string(rest) == "|-":
			if !c.literal(ind+2, false) {
				return false
			}
		case string(rest) == "|2" || string(rest) == "|2-":
			if !c.literal(ind+2, true) {
				return false
			}
		default:
			if empty && (string(rest) == "{}" || string(rest) == "[]") {
				return false
			}
			if !scalarOK(rest) || c.deeper(ind) {
				return false
			}
			c.header(where, key, rest)
		}
	}
	return n > 0
}

// child is where the mapping under key sits.
func child(where int, key []byte) int {
	switch {
	case where == inItem && string(key) == "metadata":
		return inMetadata
	case where == inMetadata && string(key) == "annotations":
		return inAnnotations
	}
	return inOther
}

// sequence reads a compact block sequence whose dashes sit at ind.
func (c *itemChecker) sequence(ind int) bool {
	for l := c.cur(); l != nil && l.ind == ind && bytes.HasPrefix(l.body, dash); l = c.cur() {
		entry := l.body[2:]
		if _, _, isKey := splitKey(entry); isKey {
			// "- key: value": a mapping whose keys sit at ind+2.
			l.ind, l.body = ind+2, entry
			if !c.mapping(ind+2, inOther) {
				return false
			}
			continue
		}
		if !scalarOK(entry) {
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
// never last (kyaml would not write them back). With hinted (`|2`, which
// the emitter writes when the value starts with a space or a line break)
// the first line is blank or indented past ind instead.
func (c *itemChecker) literal(ind int, hinted bool) bool {
	first := c.cur()
	switch {
	case first == nil:
		return false
	case hinted && !(len(first.raw) == 0 || first.ind > ind && len(first.body) > 0):
		return false
	case !hinted && (first.ind != ind || len(first.body) == 0):
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
func (c *itemChecker) header(where int, key, rest []byte) {
	var dst *string
	switch {
	case where == inItem && string(key) == "apiVersion":
		dst = &c.it.apiVersion
	case where == inItem && string(key) == "kind":
		dst = &c.it.kind
	case where == inMetadata && string(key) == "name":
		dst = &c.it.name
	case where == inMetadata && string(key) == "namespace":
		dst = &c.it.namespace
	case where == inAnnotations && string(key) == pathAnnotation:
		dst = &c.it.filePath
	case where == inAnnotations && string(key) == internalPathAnnotation:
		dst = &c.it.internalPath
	default:
		return
	}
	*dst = scalarText(rest)
}

// splitKey splits "key: rest" or "key:"; ok only for a key kyaml writes
// plain and unchanged.
func splitKey(body []byte) (key, rest []byte, ok bool) {
	i := bytes.Index(body, []byte(": "))
	switch {
	case i > 0:
		key, rest = body[:i], body[i+2:]
	case len(body) > 1 && body[len(body)-1] == ':':
		key = body[:len(body)-1]
	default:
		return nil, nil, false
	}
	if len(key) > 100 || string(key) == "<<" || bytes.IndexByte(key, ':') >= 0 || !plainOK(key) {
		return nil, nil, false
	}
	return key, rest, true
}

// scalarOK reports whether s is a single-line scalar that kyaml writes back
// exactly as it stands: plain, or quoted the way the emitter quotes, or an
// empty flow collection.
func scalarOK(s []byte) bool {
	switch {
	case string(s) == "[]" || string(s) == "{}":
		return true
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		_, ok := doubleQuoted(s[1:len(s)-1], false)
		return ok
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		_, ok := singleQuoted(s[1:len(s)-1], false)
		return ok
	}
	return plainOK(s)
}

// scalarText is the value of a scalar scalarOK accepted.
func scalarText(s []byte) string {
	switch {
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		v, _ := doubleQuoted(s[1:len(s)-1], true)
		return string(v)
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		v, _ := singleQuoted(s[1:len(s)-1], true)
		return string(v)
	}
	return string(s)
}

// singleQuoted checks (and with decode, decodes) the inside of a
// single-quoted scalar: every quote doubled.
func singleQuoted(in []byte, decode bool) ([]byte, bool) {
	var b []byte
	for i := 0; i < len(in); i++ {
		if in[i] == '\'' {
			if i+1 >= len(in) || in[i+1] != '\'' {
				return nil, false
			}
			i++
		}
		if decode {
			b = append(b, in[i])
		}
	}
	return b, true
}

// doubleQuoted checks (and with decode, decodes) the inside of a
// double-quoted scalar whose value the emitter writes back the same way:
// every character as itself except the ones it escapes, escaped as it
// escapes them (yaml.v3 yaml_emitter_write_double_quoted_scalar; the value
// holds no character it would write as \x, \u, \N, \L or \P).
func doubleQuoted(in []byte, decode bool) ([]byte, bool) {
	var b []byte
	for i := 0; i < len(in); i++ {
		ch := in[i]
		switch ch {
		case '"':
			return nil, false
		case '\\':
			if i+1 >= len(in) {
				return nil, false
			}
			i++
			e, ok := unescape(in[i])
			if !ok {
				return nil, false
			}
			ch = e
		}
		if decode {
			b = append(b, ch)
		}
	}
	return b, true
}

// unescape is the emitter's escapes for ASCII.
func unescape(c byte) (byte, bool) {
	switch c {
	case '0':
		return 0, true
	case 'a':
		return 7, true
	case 'b':
		return 8, true
	case 't':
		return 9, true
	case 'n':
		return 10, true
	case 'v':
		return 11, true
	case 'f':
		return 12, true
	case 'r':
		return 13, true
	case 'e':
		return 0x1b, true
	case '"', '\\':
		return c, true
	}
	return 0, false
}

// printableLine reports whether every character of a line is one the
// emitter writes as itself in plain and literal scalars: printable ASCII,
// or UTF-8 that yaml.v3 counts printable and not a break (NEL, LS, PS)
// nor a BOM.
func printableLine(raw []byte) bool {
	for i := 0; i < len(raw); {
		b := raw[i]
		if b < 0x80 {
			if b < 0x20 || b > 0x7e {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(raw[i:])
		switch {
		case r == utf8.RuneError && w <= 1:
			return false
		case r == 0xFEFF || r == 0x2028 || r == 0x2029:
			return false
		case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
		i += w
	}
	return true
}

// plainOK reports whether the yaml.v3 emitter writes s as this very plain
// scalar in block context (its analyze_scalar rules for one line of
// printable characters, which printableLine checks), which also means the
// parser reads s back whole.
func plainOK(s []byte) bool {
	n := len(s)
	if n == 0 || s[0] == ' ' || s[n-1] == ' ' {
		return false
	}
	if n >= 3 && (string(s[:3]) == "---" || string(s[:3]) == "...") {
		return false
	}
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if n == 1 || s[1] == ' ' {
			return false
		}
	}
	for i := 1; i < n; i++ {
		switch s[i] {
		case ':':
			if i+1 == n || s[i+1] == ' ' {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}
