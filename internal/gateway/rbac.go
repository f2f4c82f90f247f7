package gateway

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	rbacpb "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbac "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

type rbacConfig = *rbac.RBAC

// rbacMetadata is the dynamic metadata namespace the RBAC filter writes
// (its canonical name, whatever the HttpFilter is called).
const rbacMetadata = "envoy.filters.http.rbac"

// rbacEngine is one set of RBAC rules: an action and its named policies,
// evaluated in name order (Envoy keeps them in a sorted map) so the
// effective policy id is the first matching name.
type rbacEngine struct {
	action   rbacpb.RBAC_Action
	policies []rbacPolicy
}

type rbacPolicy struct {
	name        string
	permissions []rbacMatch
	principals  []rbacMatch
}

type rbacMatch = func(*stream) bool

// rbacFilter is envoy.filters.http.rbac: the enforced rules decide; the
// shadow rules only record their result in dynamic metadata (Istio's CUSTOM
// action uses that to enable ext_authz).
type rbacFilter struct {
	name                      string
	rules, shadow             *rbacEngine
	rulesPrefix, shadowPrefix string
}

func compileRBAC(where, name string, c *rbac.RBAC) (*rbacFilter, []error) {
	errs := unimplemented(where, c, fieldRules{
		"rules": "", "shadow_rules": "", "shadow_rules_stat_prefix": "", "rules_stat_prefix": "",
		"track_per_rule_stats": observability,
	})
	f := &rbacFilter{name: name, rulesPrefix: c.GetRulesStatPrefix(), shadowPrefix: c.GetShadowRulesStatPrefix()}
	var e []error
	if c.GetRules() != nil {
		f.rules, e = compileEngine(where+".rules", c.GetRules())
		errs = append(errs, e...)
	}
	if c.GetShadowRules() != nil {
		f.shadow, e = compileEngine(where+".shadow_rules", c.GetShadowRules())
		errs = append(errs, e...)
	}
	return f, errs
}

func compileEngine(where string, r *rbacpb.RBAC) (*rbacEngine, []error) {
	errs := unimplemented(where, r, fieldRules{"action": "", "policies": "", "audit_logging_options": observability})
	switch r.GetAction() {
	case rbacpb.RBAC_ALLOW, rbacpb.RBAC_DENY, rbacpb.RBAC_LOG:
	default:
		errs = append(errs, fmt.Errorf("%s: action %v is not implemented", where, r.GetAction()))
	}
	e := &rbacEngine{action: r.GetAction()}
	var names []string
	for n := range r.GetPolicies() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := r.GetPolicies()[n]
		pw := fmt.Sprintf("%s.policies[%s]", where, n)
		errs = append(errs, unimplemented(pw, p, fieldRules{"permissions": "", "principals": ""})...)
		pol := rbacPolicy{name: n}
		for i, perm := range p.GetPermissions() {
			m, err := compilePermission(fmt.Sprintf("%s.permissions[%d]", pw, i), perm)
			errs = append(errs, err...)
			pol.permissions = append(pol.permissions, m)
		}
		for i, pr := range p.GetPrincipals() {
			m, err := compilePrincipal(fmt.Sprintf("%s.principals[%d]", pw, i), pr)
			errs = append(errs, err...)
			pol.principals = append(pol.principals, m)
		}
		e.policies = append(e.policies, pol)
	}
	return e, errs
}

// pathOnly is the path an RBAC url_path matches: without query or fragment.
func (s *stream) pathOnly() string {
	p, _, _ := strings.Cut(s.path, "?")
	p, _, _ = strings.Cut(p, "#")
	return p
}

func compilePermission(where string, p *rbacpb.Permission) (rbacMatch, []error) {
	switch r := p.GetRule().(type) {
	case *rbacpb.Permission_Any:
		return func(*stream) bool { return r.Any }, nil
	case *rbacpb.Permission_AndRules:
		ms, errs := compileEach(where+".and_rules", r.AndRules.GetRules(), compilePermission)
		return allOf(ms), errs
	case *rbacpb.Permission_OrRules:
		ms, errs := compileEach(where+".or_rules", r.OrRules.GetRules(), compilePermission)
		return anyOf(ms), errs
	case *rbacpb.Permission_NotRule:
		m, errs := compilePermission(where+".not_rule", r.NotRule)
		return func(s *stream) bool { return m != nil && !m(s) }, errs
	case *rbacpb.Permission_Header:
		return leaf(compileHeader(where+".header", r.Header))
	case *rbacpb.Permission_UrlPath:
		return urlPathMatch(where+".url_path", r.UrlPath)
	case *rbacpb.Permission_Metadata:
		return metadataMatch(where+".metadata", r.Metadata)
	}
	return nil, []error{fmt.Errorf("%s: RBAC permission %T is not implemented by internal/gateway", where, p.GetRule())}
}

// The leaves permissions and principals share: header, url_path, metadata.

func leaf(m rbacMatch, err error) (rbacMatch, []error) {
	if err != nil {
		return nil, []error{err}
	}
	return m, nil
}

func urlPathMatch(where string, p *matcher.PathMatcher) (rbacMatch, []error) {
	sm, err := compileString(where, p.GetPath())
	if err != nil {
		return nil, []error{err}
	}
	return func(s *stream) bool { return sm(s.pathOnly()) }, nil
}

func metadataMatch(where string, md *matcher.MetadataMatcher) (rbacMatch, []error) {
	m, err := compileMetadata(where, md)
	if err != nil {
		return nil, []error{err}
	}
	return func(s *stream) bool { return m(s.meta) }, nil
}

func compilePrincipal(where string, p *rbacpb.Principal) (rbacMatch, []error) {
	switch r := p.GetIdentifier().(type) {
	case *rbacpb.Principal_Any:
		return func(*stream) bool { return r.Any }, nil
	case *rbacpb.Principal_AndIds:
		ms, errs := compileEach(where+".and_ids", r.AndIds.GetIds(), compilePrincipal)
		return allOf(ms), errs
	case *rbacpb.Principal_OrIds:
		ms, errs := compileEach(where+".or_ids", r.OrIds.GetIds(), compilePrincipal)
		return anyOf(ms), errs
	case *rbacpb.Principal_NotId:
		m, errs := compilePrincipal(where+".not_id", r.NotId)
		return func(s *stream) bool { return m != nil && !m(s) }, errs
	case *rbacpb.Principal_Header:
		return leaf(compileHeader(where+".header", r.Header))
	case *rbacpb.Principal_UrlPath:
		return urlPathMatch(where+".url_path", r.UrlPath)
	case *rbacpb.Principal_Metadata:
		return metadataMatch(where+".metadata", r.Metadata)
	}
	return nil, []error{fmt.Errorf("%s: RBAC principal %T is not implemented by internal/gateway", where, p.GetIdentifier())}
}

// evaluate returns whether the engine allows the request and the first
// matching policy's name.
func (e *rbacEngine) evaluate(s *stream) (bool, string) {
	matched := ""
	for _, p := range e.policies {
		if anyOf(p.permissions)(s) && anyOf(p.principals)(s) {
			matched = p.name
			break
		}
	}
	switch e.action {
	case rbacpb.RBAC_ALLOW:
		return matched != "", matched
	case rbacpb.RBAC_DENY:
		return matched == "", matched
	default: // LOG
		return true, matched
	}
}

func (f *rbacFilter) decode(_ context.Context, s *stream) *reply {
	md := s.meta[rbacMetadata]
	if md == nil {
		md = map[string]any{}
		s.meta[rbacMetadata] = md
	}
	if f.shadow != nil {
		ok, id := f.shadow.evaluate(s)
		if id != "" {
			md[f.shadowPrefix+"shadow_effective_policy_id"] = id
		}
		res := "allowed"
		if !ok {
			res = "denied"
		}
		md[f.shadowPrefix+"shadow_engine_result"] = res
		s.log("rbac %s shadow: %s (policy %q)", f.name, res, id)
	}
	if f.rules != nil {
		ok, id := f.rules.evaluate(s)
		if !ok {
			s.log("rbac %s: 403 (policy %q)", f.name, id)
			return &reply{status: http.StatusForbidden, body: []byte("RBAC: access denied")}
		}
	}
	return nil
}
