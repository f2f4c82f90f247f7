package process

import (
	"bytes"
	"fmt"
	"io"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// Fast is the function on a ResourceList given as bytes, with the output
// fn.Execute would write for it. It decodes only the function config, the
// AuthConfigs, the objects the components patch and the items outside the
// scanner's grammar (scan.go), and copies every other item byte for byte,
// so a large package costs a scan instead of a decode and an encode.
//
// handled is false when the list is not in the shape the scanner proves;
// nothing has been written then, and the caller runs the SDK path
// (fn.Execute), which decides everything including the errors. ok and
// results are the processor's, as Process would report them.
func (p Processor) Fast(in []byte, w io.Writer) (results fn.Results, ok, handled bool, err error) {
	l, scanned := scanList(in)
	if !scanned {
		return nil, false, false, nil
	}
	fcNode, err := decodeOne("functionConfig:\n", l.fc, false)
	if err != nil {
		return nil, false, false, nil
	}
	fcObj, err := reparse(fcNode)
	if err != nil {
		return nil, false, false, nil
	}
	entries := make([]*entry, len(l.items))
	var parsed fn.KubeObjects
	for i, it := range l.items {
		entries[i] = &entry{raw: it}
		// VirtualServices are read too: the logout route's target may be
		// found among them (logoutTarget).
		if it.canonical && it.kind != api.Kind && it.kind != "VirtualService" {
			continue
		}
		o, err := decodeItem(it)
		if err != nil {
			return nil, false, false, nil
		}
		entries[i] = &entry{orig: o}
		parsed = append(parsed, o)
	}
	before := make([]entry, len(entries))
	for i, e := range entries {
		before[i] = *e
	}

	pl, results, ok := p.plan(fcObj, parsed)
	if ok {
		targets := pl.targets()
		// The Gateway API checks read more of the stream (gatewayapi.go).
		gatewayAPI := pl.c.Spec.Gateway.GatewayAPI()
		for _, e := range entries {
			if e.raw != nil && (targets[e.raw.identity()] || gatewayAPI && gatewayStreamKinds[e.raw.kind]) {
				o, err := decodeItem(e.raw)
				if err != nil {
					return nil, false, false, nil
				}
				*e = entry{orig: o}
			}
		}
		s := &stream{entries: entries}
		var applied fn.Results
		applied, ok = pl.apply(s)
		results = append(results, applied...)
		entries = s.entries
	}
	if !ok {
		// As Process: on an error result the items go out as they came.
		entries = entries[:0]
		for i := range before {
			entries = append(entries, &before[i])
		}
	}
	return results, ok, true, writeList(w, l.apiVersion, entries, fcNode, results)
}

// decodeOne decodes text as the value of its one key, prefix ("key:\n"),
// which gives it the indentation context it has in the list. For an item
// the value is a sequence of exactly one object.
func decodeOne(prefix string, text []byte, item bool) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(io.MultiReader(bytes.NewReader([]byte(prefix)), bytes.NewReader(text)))
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, fmt.Errorf("more than one document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || len(doc.Content[0].Content) != 2 {
		return nil, fmt.Errorf("not one key")
	}
	v := doc.Content[0].Content[1]
	if !item {
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("not a mapping")
		}
		return v, nil
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) != 1 {
		return nil, fmt.Errorf("not one item")
	}
	return v.Content[0], nil
}

// decodeItem decodes an item as the SDK's reader does (kio, then
// fn.ParseKubeObject of its serialisation). Anchors and aliases may reach
// across items, and a trailing comment may belong to the next item when
// the list is decoded whole: such items are left to the SDK path.
func decodeItem(it *rawItem) (*fn.KubeObject, error) {
	if !it.canonical {
		if mayHoldAnchor(it.text) {
			return nil, fmt.Errorf("may hold an anchor or alias")
		}
		if endsWithComment(it.text) {
			return nil, fmt.Errorf("ends with a comment")
		}
	}
	n, err := decodeOne("items:\n", it.text, true)
	if err != nil {
		return nil, err
	}
	return reparse(n)
}

func reparse(n *yaml.Node) (*fn.KubeObject, error) {
	s, err := yaml.NewRNode(n).String()
	if err != nil {
		return nil, err
	}
	return fn.ParseKubeObject([]byte(s))
}

// mayHoldAnchor reports whether an anchor or alias could start anywhere
// in text: a '&' or '*' where a YAML token can start (line start, after
// blanks or a flow indicator, after ':' as in {"a":*b}). It overshoots (a
// plain " *" or a literal's "*" counts too), never undershoots.
func mayHoldAnchor(text []byte) bool {
	for i, b := range text {
		if b != '&' && b != '*' {
			continue
		}
		if i == 0 {
			return true
		}
		switch text[i-1] {
		case '\n', ' ', '\t', '[', '{', ',', ':':
			return true
		}
	}
	return false
}

func endsWithComment(text []byte) bool {
	t := bytes.TrimRight(text, " \n")
	last := t[bytes.LastIndexByte(t, '\n')+1:]
	return len(bytes.TrimLeft(last, " ")) > 0 && bytes.TrimLeft(last, " ")[0] == '#'
}

// writeList writes the list as kio.ByteWriter does under fn.Execute: the
// wrapper with the input's apiVersion, the items in order, the input's
// function config node, the results marshalled and parsed back. Copied
// items go out as their bytes; every other item is encoded alone in the
// same context ("items:" at column 0), which is how the whole list encodes it.
func writeList(w io.Writer, apiVersion string, entries []*entry, fc *yaml.Node, results fn.Results) error {
	list := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "apiVersion"}, {Kind: yaml.ScalarNode, Value: apiVersion},
		{Kind: yaml.ScalarNode, Value: "kind"}, {Kind: yaml.ScalarNode, Value: "ResourceList"},
		{Kind: yaml.ScalarNode, Value: "items"}, {Kind: yaml.SequenceNode},
		{Kind: yaml.ScalarNode, Value: "functionConfig"}, fc,
	}}
	if len(results) > 0 {
		b, err := yaml.Marshal(results)
		if err != nil {
			return err
		}
		r, err := yaml.Parse(string(b))
		if err != nil {
			return err
		}
		list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "results"}, r.YNode())
	}
	skeleton, err := encode(list)
	if err != nil {
		return err
	}
	const empty = "\nitems: []\n"
	at := bytes.Index(skeleton, []byte(empty))
	if at < 0 {
		return fmt.Errorf("internal error: no items in the list skeleton")
	}
	if _, err := w.Write(skeleton[:at+1]); err != nil {
		return err
	}
	if len(entries) == 0 {
		_, err := w.Write(skeleton[at+1:])
		return err
	}
	if _, err := io.WriteString(w, "items:\n"); err != nil {
		return err
	}
	for _, e := range entries {
		b := []byte(nil)
		switch {
		case e.raw != nil:
			b = e.raw.text
		case e.node != nil:
			b, err = itemBytes(fn.NewKubeObjectFromResourceNode(e.node))
		default:
			b, err = itemBytes(e.orig)
		}
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err = w.Write(skeleton[at+len(empty):])
	return err
}

// itemBytes is one item as the SDK writes it: serialised, parsed back,
// empty annotations cleared, encoded as an element of "items:".
func itemBytes(o *fn.KubeObject) ([]byte, error) {
	n, err := yaml.Parse(o.String())
	if err != nil {
		return nil, err
	}
	if err := yaml.ClearEmptyAnnotations(n); err != nil {
		return nil, err
	}
	b, err := encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "items"}, {Kind: yaml.SequenceNode, Content: []*yaml.Node{n.YNode()}},
	}})
	if err != nil {
		return nil, err
	}
	const head = "items:\n"
	if !bytes.HasPrefix(b, []byte(head)) {
		return nil, fmt.Errorf("internal error: item encoded as %.40q", b)
	}
	return b[len(head):], nil
}

func encode(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
