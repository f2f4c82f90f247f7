package gateway

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldRules says, for one message type, what this package does with each
// field: "" = implemented; any other text = accepted and ignored, the text
// being why ignoring it cannot change what a request gets. A set field that
// is not listed is an error: New refuses configuration it would silently
// misread.
type fieldRules map[string]string

// Reasons shared by several messages.
const (
	observability = "observability only (stats, logs, tracing): no effect on a request's outcome"
	connection    = "connection management: no effect on a request's outcome on loopback"
)

// unimplemented returns an error for every set field of m not in rules.
func unimplemented(where string, m proto.Message, rules fieldRules) []error {
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil
	}
	var names []string
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		if oneof := fd.ContainingOneof(); oneof != nil && !oneof.IsSynthetic() {
			// A oneof case is listed by its field name.
			name = string(fd.Name())
		}
		if _, ok := rules[name]; !ok {
			names = append(names, name)
		}
		return true
	})
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		fd := m.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(n))
		errs = append(errs, fmt.Errorf("%s: %s.%s = %s is not implemented by internal/gateway (Envoy stand-in); implement it or refuse the configuration that produces it",
			where, m.ProtoReflect().Descriptor().FullName(), n, short(m.ProtoReflect().Get(fd), fd)))
	}
	return errs
}

// short renders a field value for an error message.
func short(v protoreflect.Value, fd protoreflect.FieldDescriptor) string {
	var s string
	switch {
	case fd.IsList() || fd.IsMap():
		s = fmt.Sprintf("%v", v.Interface())
	case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
		b, _ := protojson.Marshal(v.Message().Interface())
		s = string(b)
	default:
		s = fmt.Sprintf("%v", v.Interface())
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.TrimSpace(s)
}
