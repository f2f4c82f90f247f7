package outputcheck

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// checkProto validates a JSON document against an Istio proto message the
// way Istio's YAML wants it, and fills msg on success.
//
// protojson alone is not enough: it accepts the proto (snake_case) name as
// well as the JSON (camelCase) one, accepts deprecated fields silently, and
// its errors carry no field path. So a walk over the message descriptors
// runs first and reports unknown, snake_case and deprecated names with
// their paths; protojson then checks the values (enums, durations, number
// ranges, oneofs) and its message is reported only if the walk was clean.
func checkProto(data []byte, msg proto.Message) []fieldError {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []fieldError{{Message: err.Error()}}
	}
	errs := walkMessage(msg.ProtoReflect().Descriptor(), doc, "")
	if len(errs) > 0 {
		return errs
	}
	if err := protojson.Unmarshal(data, msg); err != nil {
		return []fieldError{{Message: protoErrorPrefix.ReplaceAllString(err.Error(), "")}}
	}
	return nil
}

// protoErrorPrefix matches protojson's "proto: (line 1:23): " prefix. The
// position is in the intermediate JSON, meaningless to a YAML author, and
// protojson deliberately varies the space after "proto:" (sometimes a
// non-breaking one) so callers cannot depend on it.
var protoErrorPrefix = regexp.MustCompile(`^proto:[\s\x{a0}]*(\(line \d+:\d+\):\s*)?`)

func walkMessage(md protoreflect.MessageDescriptor, v any, path string) []fieldError {
	// Well-known types (Struct, Value, Any, Duration, wrappers) have a JSON
	// form of their own; protojson checks those values.
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil // not an object: protojson reports the type error
	}
	fields := md.Fields()
	var out []fieldError
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		p := joinPath(path, key)
		fd := fields.ByJSONName(key)
		if fd == nil {
			if fd = fields.ByTextName(key); fd != nil {
				out = append(out, fieldError{Field: p, Message: "snake_case name: write " + fd.JSONName()})
			} else {
				out = append(out, fieldError{Field: p, Message: unknownFieldMessage(key, jsonNames(fields))})
				continue
			}
		}
		if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
			out = append(out, fieldError{Field: p, Message: "deprecated field"})
		}
		out = append(out, walkValue(fd, obj[key], p)...)
	}
	return out
}

func walkValue(fd protoreflect.FieldDescriptor, v any, path string) []fieldError {
	var out []fieldError
	switch {
	case fd.IsMap():
		m, _ := v.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, walkSingle(fd.MapValue(), m[k], path+"["+k+"]")...)
		}
	case fd.IsList():
		l, _ := v.([]any)
		for i, e := range l {
			out = append(out, walkSingle(fd, e, path+"["+strconv.Itoa(i)+"]")...)
		}
	default:
		out = walkSingle(fd, v, path)
	}
	return out
}

func walkSingle(fd protoreflect.FieldDescriptor, v any, path string) []fieldError {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return walkMessage(fd.Message(), v, path)
	case protoreflect.EnumKind:
		s, ok := v.(string)
		if !ok {
			return nil
		}
		ev := fd.Enum().Values().ByName(protoreflect.Name(s))
		if ev == nil {
			return nil // protojson reports unknown enum values
		}
		if opts, ok := ev.Options().(*descriptorpb.EnumValueOptions); ok && opts.GetDeprecated() {
			return []fieldError{{Field: path, Message: "deprecated value " + s}}
		}
	}
	return nil
}

func jsonNames(fields protoreflect.FieldDescriptors) []string {
	names := make([]string, fields.Len())
	for i := range names {
		names[i] = fields.Get(i).JSONName()
	}
	return names
}
