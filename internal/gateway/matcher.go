package gateway

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

const istioMaxProgramSize = 32768

// stringMatch is envoy.type.matcher.v3.StringMatcher, compiled.
type stringMatch = func(string) bool

// compileRegex compiles an RE2 regex (Envoy's safe_regex uses RE2, as Go's
// regexp does) for a full match, as Envoy requires.
func compileRegex(where string, r *matcher.RegexMatcher) (*regexp.Regexp, error) {
	if r == nil {
		return nil, fmt.Errorf("%s: safe_regex without a regex", where)
	}
	if errs := unimplemented(where, r, fieldRules{"regex": "", "google_re2": "the RE2 engine, which Go's regexp implements"}); len(errs) > 0 {
		return nil, errs[0]
	}
	re, err := regexp.Compile(`^(?:` + r.GetRegex() + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%s: regex %q: %w", where, r.GetRegex(), err)
	}
	// Envoy refuses a regex over re2.max_program_size.error_level (Istio's
	// bootstrap sets 32768) and with it the whole config.
	if n := pathmatch.ProgramSize(r.GetRegex()); n > istioMaxProgramSize {
		return nil, fmt.Errorf("%s: regex of program size %d: Envoy under Istio refuses over %d", where, n, istioMaxProgramSize)
	}
	return re, nil
}

func compileString(where string, m *matcher.StringMatcher) (stringMatch, error) {
	if m == nil {
		return nil, fmt.Errorf("%s: missing string matcher", where)
	}
	if errs := unimplemented(where, m, fieldRules{"exact": "", "prefix": "", "suffix": "", "contains": "", "safe_regex": "", "ignore_case": ""}); len(errs) > 0 {
		return nil, errs[0]
	}
	ic := m.GetIgnoreCase()
	fold := func(s string) string {
		if ic {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcher.StringMatcher_Exact:
		want := fold(p.Exact)
		return func(s string) bool { return fold(s) == want }, nil
	case *matcher.StringMatcher_Prefix:
		want := fold(p.Prefix)
		return func(s string) bool { return strings.HasPrefix(fold(s), want) }, nil
	case *matcher.StringMatcher_Suffix:
		want := fold(p.Suffix)
		return func(s string) bool { return strings.HasSuffix(fold(s), want) }, nil
	case *matcher.StringMatcher_Contains:
		want := fold(p.Contains)
		return func(s string) bool { return strings.Contains(fold(s), want) }, nil
	case *matcher.StringMatcher_SafeRegex:
		// ignore_case has no effect on safe_regex (Envoy's documentation).
		re, err := compileRegex(where, p.SafeRegex)
		if err != nil {
			return nil, err
		}
		return re.MatchString, nil
	}
	return nil, fmt.Errorf("%s: string matcher %v is not implemented", where, m)
}

// compileList is envoy.type.matcher.v3.ListStringMatcher: any pattern.
func compileList(where string, l *matcher.ListStringMatcher) (stringMatch, error) {
	if l == nil {
		return nil, nil
	}
	ms, errs := compileEach(where+".patterns", l.GetPatterns(), one(compileString))
	return anyOf(ms), firstErr(errs)
}

// headerMatch is envoy.config.route.v3.HeaderMatcher on a request.
type headerMatch = func(r *stream) bool

// headerValue is how Envoy sees a header for matching: pseudo-headers
// from the request line, several values joined with ",".
func (s *stream) headerValue(name string) (string, bool) {
	switch strings.ToLower(name) {
	case ":path":
		return s.path, true
	case ":method":
		return s.method, true
	case ":authority", "host":
		return s.authority, true
	case ":scheme":
		return s.scheme, true
	}
	vals := s.header.Values(name)
	if len(vals) == 0 {
		return "", false
	}
	return strings.Join(vals, ","), true
}

func compileHeader(where string, h *route.HeaderMatcher) (headerMatch, error) {
	if errs := unimplemented(where, h, fieldRules{"name": "", "invert_match": "", "treat_missing_header_as_empty": "",
		"exact_match": "", "safe_regex_match": "", "present_match": "", "prefix_match": "", "suffix_match": "",
		"contains_match": "", "string_match": "", "range_match": ""}); len(errs) > 0 {
		return nil, errs[0]
	}
	var m func(v string, ok bool) bool
	switch p := h.GetHeaderMatchSpecifier().(type) {
	case nil:
		// No specifier: the header must be present.
		m = func(_ string, ok bool) bool { return ok }
	case *route.HeaderMatcher_PresentMatch:
		want := p.PresentMatch
		m = func(_ string, ok bool) bool { return ok == want }
	case *route.HeaderMatcher_ExactMatch:
		m = func(v string, ok bool) bool { return ok && v == p.ExactMatch }
	case *route.HeaderMatcher_PrefixMatch:
		m = func(v string, ok bool) bool { return ok && strings.HasPrefix(v, p.PrefixMatch) }
	case *route.HeaderMatcher_SuffixMatch:
		m = func(v string, ok bool) bool { return ok && strings.HasSuffix(v, p.SuffixMatch) }
	case *route.HeaderMatcher_ContainsMatch:
		m = func(v string, ok bool) bool { return ok && strings.Contains(v, p.ContainsMatch) }
	case *route.HeaderMatcher_SafeRegexMatch:
		re, err := compileRegex(where, p.SafeRegexMatch)
		if err != nil {
			return nil, err
		}
		m = func(v string, ok bool) bool { return ok && re.MatchString(v) }
	case *route.HeaderMatcher_StringMatch:
		sm, err := compileString(where+".string_match", p.StringMatch)
		if err != nil {
			return nil, err
		}
		m = func(v string, ok bool) bool { return ok && sm(v) }
	case *route.HeaderMatcher_RangeMatch:
		lo, hi := p.RangeMatch.GetStart(), p.RangeMatch.GetEnd()
		m = func(v string, ok bool) bool {
			n, err := strconv.ParseInt(v, 10, 64)
			return ok && err == nil && n >= lo && n < hi
		}
	default:
		return nil, fmt.Errorf("%s: header matcher %T is not implemented", where, p)
	}
	name, invert, missingEmpty := h.GetName(), h.GetInvertMatch(), h.GetTreatMissingHeaderAsEmpty()
	_, isPresent := h.GetHeaderMatchSpecifier().(*route.HeaderMatcher_PresentMatch)
	return func(s *stream) bool {
		v, ok := s.headerValue(name)
		if !ok && missingEmpty {
			v, ok = "", true
		}
		// Envoy: invert_match applies to every matcher; a missing header
		// never matches a value matcher, inverted or not, unless
		// treat_missing_header_as_empty (present_match inverts as a bool).
		if !ok && !isPresent {
			return false
		}
		return m(v, ok) != invert
	}, nil
}

// metadata is Envoy's dynamic metadata: filter namespace → struct.
type metadata map[string]map[string]any

// compileMetadata is envoy.type.matcher.v3.MetadataMatcher.
func compileMetadata(where string, m *matcher.MetadataMatcher) (func(metadata) bool, error) {
	if errs := unimplemented(where, m, fieldRules{"filter": "", "path": "", "value": "", "invert": ""}); len(errs) > 0 {
		return nil, errs[0]
	}
	var path []string
	for i, seg := range m.GetPath() {
		k := seg.GetKey()
		if k == "" {
			return nil, fmt.Errorf("%s.path[%d]: only key segments are implemented", where, i)
		}
		path = append(path, k)
	}
	vm, err := compileValue(where+".value", m.GetValue())
	if err != nil {
		return nil, err
	}
	filter, invert := m.GetFilter(), m.GetInvert()
	return func(md metadata) bool {
		var cur any = md[filter]
		if md[filter] == nil {
			cur = nil
		}
		for _, k := range path {
			obj, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = obj[k]
		}
		return vm(cur) != invert
	}, nil
}

// compileValue is envoy.type.matcher.v3.ValueMatcher over JSON-like values
// (nil = absent; string, float64, bool, []any, map[string]any).
func compileValue(where string, v *matcher.ValueMatcher) (func(any) bool, error) {
	if v == nil {
		return nil, fmt.Errorf("%s: missing value matcher", where)
	}
	switch p := v.GetMatchPattern().(type) {
	case *matcher.ValueMatcher_NullMatch_:
		return func(x any) bool { return x == nil }, nil
	case *matcher.ValueMatcher_PresentMatch:
		want := p.PresentMatch
		return func(x any) bool { return (x != nil) == want }, nil
	case *matcher.ValueMatcher_StringMatch:
		sm, err := compileString(where+".string_match", p.StringMatch)
		if err != nil {
			return nil, err
		}
		return func(x any) bool { s, ok := x.(string); return ok && sm(s) }, nil
	case *matcher.ValueMatcher_BoolMatch:
		return func(x any) bool { b, ok := x.(bool); return ok && b == p.BoolMatch }, nil
	case *matcher.ValueMatcher_ListMatch:
		one, err := compileValue(where+".list_match.one_of", p.ListMatch.GetOneOf())
		if err != nil {
			return nil, err
		}
		return func(x any) bool {
			l, ok := x.([]any)
			if !ok {
				return false
			}
			for _, e := range l {
				if one(e) {
					return true
				}
			}
			return false
		}, nil
	case *matcher.ValueMatcher_OrMatch:
		ms, errs := compileEach(where+".or_match", p.OrMatch.GetValueMatchers(), one(compileValue))
		return anyOf(ms), firstErr(errs)
	}
	return nil, fmt.Errorf("%s: value matcher %T is not implemented", where, v.GetMatchPattern())
}

// structToMap converts a protobuf Struct to the metadata representation.
func structToMap(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return s.AsMap()
}

// headerNames lists a request's header names, lower-cased (Envoy's form).
func headerNames(h http.Header) []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, strings.ToLower(k))
	}
	return out
}
