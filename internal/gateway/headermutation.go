package gateway

import (
	"context"
	"fmt"
	"strings"

	mutation "github.com/envoyproxy/go-control-plane/envoy/config/common/mutation_rules/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	hm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
)

type headerMutationConfig = *hm.HeaderMutation

// headerMutationFilter is envoy.filters.http.header_mutation, request side:
// the mutations run in order when the filter decodes the request headers.
type headerMutationFilter struct {
	name string
	ops  []func(*stream)
	desc []string
}

func compileHeaderMutation(where, name string, c *hm.HeaderMutation) (*headerMutationFilter, []error) {
	errs := unimplemented(where, c, fieldRules{"mutations": ""})
	m := c.GetMutations()
	errs = append(errs, unimplemented(where+".mutations", m, fieldRules{"request_mutations": ""})...)
	f := &headerMutationFilter{name: name}
	for i, rm := range m.GetRequestMutations() {
		op, d, err := compileMutation(fmt.Sprintf("%s.request_mutations[%d]", where, i), rm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.ops, f.desc = append(f.ops, op), append(f.desc, d)
	}
	return f, errs
}

func compileMutation(where string, m *mutation.HeaderMutation) (func(*stream), string, error) {
	switch a := m.GetAction().(type) {
	case *mutation.HeaderMutation_Remove:
		name := a.Remove
		return func(s *stream) { s.header.Del(name) }, "remove " + name, nil
	case *mutation.HeaderMutation_RemoveOnMatch_:
		km, err := compileString(where+".remove_on_match.key_matcher", a.RemoveOnMatch.GetKeyMatcher())
		if err != nil {
			return nil, "", err
		}
		return func(s *stream) {
			for k := range s.header {
				if km(strings.ToLower(k)) {
					s.header.Del(k)
				}
			}
		}, "remove on match", nil
	case *mutation.HeaderMutation_Append:
		o := a.Append
		if errs := unimplemented(where+".append", o, fieldRules{"header": "", "append_action": ""}); len(errs) > 0 {
			return nil, "", errs[0]
		}
		k, v := o.GetHeader().GetKey(), o.GetHeader().GetValue()
		act := o.GetAppendAction()
		return func(s *stream) { applyHeaderOption(s, k, v, act) }, "append " + k, nil
	}
	return nil, "", fmt.Errorf("%s: header mutation %T is not implemented", where, m.GetAction())
}

func applyHeaderOption(s *stream, k, v string, act core.HeaderValueOption_HeaderAppendAction) {
	switch act {
	case core.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
		s.header.Add(k, v)
	case core.HeaderValueOption_ADD_IF_ABSENT:
		if len(s.header.Values(k)) == 0 {
			s.header.Set(k, v)
		}
	case core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
		s.header.Set(k, v)
	case core.HeaderValueOption_OVERWRITE_IF_EXISTS:
		if len(s.header.Values(k)) > 0 {
			s.header.Set(k, v)
		}
	}
}

func (f *headerMutationFilter) decode(_ context.Context, s *stream) *reply {
	for _, op := range f.ops {
		op(s)
	}
	return nil
}
