package istiodcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbacfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"

	"meshauth.dev/meshauth/fn/api"
)

// Access rules (generators/access.go): each rule that needs more than a
// sign-in has a shadow-only classifier, ahead of jwt_authn and the DENY
// rules, that marks every form of its paths on its hosts; the DENY rules
// refuse a marked request on the verified token's claims and issuer.
const accessFilterPrefix = "meshauth-access-"

// permMatches evaluates an RBAC permission of meshauth's classifiers on a
// request's :authority and path (without query), as Envoy does; a
// permission kind the classifiers do not use is a problem.
func (e *expectation) permMatches(at string, p *rbacv3.Permission, host, path string) bool {
	switch r := p.GetRule().(type) {
	case *rbacv3.Permission_Any:
		return r.Any
	case *rbacv3.Permission_AndRules:
		for _, x := range r.AndRules.GetRules() {
			if !e.permMatches(at, x, host, path) {
				return false
			}
		}
		return true
	case *rbacv3.Permission_OrRules:
		return slices.ContainsFunc(r.OrRules.GetRules(), func(x *rbacv3.Permission) bool { return e.permMatches(at, x, host, path) })
	case *rbacv3.Permission_NotRule:
		return !e.permMatches(at, r.NotRule, host, path)
	case *rbacv3.Permission_Header:
		if r.Header.GetName() == ":authority" {
			return e.fullMatch(at, r.Header.GetStringMatch().GetSafeRegex().GetRegex(), host)
		}
	case *rbacv3.Permission_UrlPath:
		return e.fullMatch(at, r.UrlPath.GetPath().GetSafeRegex().GetRegex(), path)
	}
	e.fail("%s: permission %v is not one meshauth's classifiers use", at, p)
	return false
}

func (e *expectation) fullMatch(at, re, s string) bool {
	r, err := regexp.Compile(`^(?:` + re + `)$`)
	if err != nil || re == "" {
		e.fail("%s: regex %q: %v", at, re, err)
		return false
	}
	return r.MatchString(s)
}

// marks: the classifier's shadow policy matches the request.
func (e *expectation) marks(at string, r *rbacfilterv3.RBAC, host, path string) bool {
	for _, p := range r.GetShadowRules().GetPolicies() {
		if slices.ContainsFunc(p.GetPermissions(), func(x *rbacv3.Permission) bool { return e.permMatches(at, x, host, path) }) {
			return true
		}
	}
	return false
}

// accessTricks are forms of a rule's prefix p some normalisation turns
// into p: each must be marked.
func accessTricks(p string) []string {
	name := strings.Trim(p, "/")
	return []string{p, p + "x", "/" + name, "/" + name + "/", "/" + strings.ToUpper(name) + "/", "//" + name + "/", "/a/../" + name + "/",
		"/static/..%2F" + name + "/", fmt.Sprintf("/%%%02X%s/", name[0], name[1:]), "/x/..;/" + name + "/", fmt.Sprintf("/%%25%02x%s/", name[0], name[1:])}
}

// checkAccess: every rule that needs more than a sign-in is classified and
// denied on the verified token, never on a header.
func (e *expectation) checkAccess(at string, classifiers map[string]*rbacfilterv3.RBAC, deny *rbacfilterv3.RBAC) {
	if e.s.Authorizer != api.AuthorizerOAuth2Proxy {
		if len(classifiers) > 0 {
			e.fail("%s: access classifiers with authorizer %s (check-server decides the rules itself)", at, e.s.Authorizer)
		}
		return
	}
	var denyJSON []string
	for name, p := range deny.GetRules().GetPolicies() {
		if strings.Contains(name, "policy[istio-ingressgateway-access]") {
			denyJSON = append(denyJSON, policyJSON(p))
		}
	}
	host := e.s.URLs().Public.Host
	for _, r := range e.s.Access.Rules {
		if r.Public || len(r.Groups) == 0 && r.Claim == nil && len(r.Machines) == 0 {
			continue
		}
		ra := at + ": rule " + r.Name
		c := classifiers[accessFilterPrefix+r.Name]
		if c == nil {
			e.fail("%s: no classifier filter %s%s", ra, accessFilterPrefix, r.Name)
			continue
		}
		mark := "meshauth_rule_" + strings.ReplaceAll(r.Name, "-", "_") + "_shadow_effective_policy_id"
		if c.GetRules() != nil || c.GetShadowRulesStatPrefix()+"shadow_effective_policy_id" != mark {
			e.fail("%s: want shadow rules only with the stat prefix for %s, got %v", ra, mark, c)
		}
		h := host
		if len(r.Hosts) > 0 {
			h = r.Hosts[0]
		}
		for _, p := range r.Paths {
			for _, t := range accessTricks(p) {
				if !e.marks(ra, c, h, t) {
					e.fail("%s: %s on %s is not marked: a normalisation makes it %s", ra, t, h, p)
				}
			}
		}
		if len(r.Paths) > 0 && !slices.Contains(r.Paths, "/") && e.marks(ra, c, h, "/zz-unrelated/") {
			e.fail("%s: /zz-unrelated/ is marked", ra)
		}
		// A Host the AuthConfig does not name is routed like any other: the
		// rule holds there too.
		if p := rulePath(r); len(r.Hosts) > 0 && !e.marks(ra, c, "10.0.0.7:8080", p) {
			e.fail("%s: %s with an unnamed Host (10.0.0.7:8080) is not marked: the gateway routes it as on %v", ra, p, r.Hosts)
		}
		var mine []string
		for _, j := range denyJSON {
			if strings.Contains(j, `"key":"`+mark+`"`) {
				mine = append(mine, j)
			}
		}
		e.checkAccessDeny(ra, r, mine)
	}
}

// checkAccessDeny: the DENY rules on a rule's mark read the verified token
// (the payload jwt_authn verified: its claims, its issuer), and no request
// header.
func (e *expectation) checkAccessDeny(at string, r api.AccessRule, policies []string) {
	claim := func(name string, values []string) bool {
		return slices.ContainsFunc(policies, func(j string) bool {
			ok := strings.Contains(j, `"filter":"envoy.filters.http.jwt_authn","path":[{"key":"payload"},{"key":"`+name+`"}]`)
			for _, v := range values {
				ok = ok && strings.Contains(j, `"exact":"`+v+`"`)
			}
			return ok && strings.Contains(j, `"notId"`)
		})
	}
	if len(r.Groups) > 0 && !claim(e.s.IdentityHeaders.Groups.Claim, r.Groups) {
		e.fail("%s: no DENY rule on the verified claim %s not in %v", at, e.s.IdentityHeaders.Groups.Claim, r.Groups)
	}
	if r.Claim != nil && !claim(r.Claim.Name, r.Claim.Values) {
		e.fail("%s: no DENY rule on the verified claim %s not in %v", at, r.Claim.Name, r.Claim.Values)
	}
	for _, m := range e.s.MachineIssuers {
		if slices.Contains(r.Machines, m.Name) && !slices.ContainsFunc(policies, func(j string) bool {
			return strings.Contains(j, `"notId":{"andIds":{"ids":[{"metadata":{"filter":"envoy.filters.http.jwt_authn","path":[{"key":"payload"},{"key":"iss"}],"value":{"stringMatch":{"exact":"`+m.Issuer+`"`)
		}) {
			e.fail("%s: no DENY rule refusing a token whose issuer is not %s", at, m.Issuer)
		}
	}
	for _, j := range policies {
		if !notPathPrefix(j, "/oauth2/") {
			e.fail("%s: a DENY rule also covers /oauth2/: the sign-in and callback carry no token yet, so a rule on / would refuse every login", at)
		}
		if strings.Contains(j, `"header":`) {
			e.fail("%s: a DENY rule matches a request header, which a client can send: %s", at, j)
		}
	}
	if len(policies) == 0 {
		e.fail("%s: no DENY rule reads its mark", at)
	}
}

func rulePath(r api.AccessRule) string {
	if len(r.Paths) == 0 {
		return "/"
	}
	return r.Paths[0]
}
