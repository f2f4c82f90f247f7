package generators

import (
	"slices"
	"strings"

	security "istio.io/api/security/v1beta1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/checkserver/access"
	"meshauth.dev/meshauth/fn/api"
)

// Access rules at the gateway (docs/access.md). checkserver/access says
// which rule may apply to a request (Compile); here that becomes, under
// the oauth2-proxy authorizer, one shadow-only RBAC filter per rule that
// marks the requests it may apply to, and a DENY policy that refuses a
// marked request whose verified token (jwt_authn, after oauth2-proxy
// forwarded the session's ID token) lacks what the rule needs. The
// check-server authorizer runs the same Compile itself.
const (
	accessFilterName = "meshauth-access"
	accessPolicyName = "istio-ingressgateway-access"
)

// machineHostMark is the machine-only hosts' classifier's.
var machineHostMark = mark{statPrefix: "meshauth_machine_host_", policy: "meshauth-machine-host"}

// AccessPolicy is the AuthConfig's access rules as checkserver/access
// runs them.
func AccessPolicy(s api.Spec) access.Policy {
	p := access.Policy{PublicPaths: s.PublicPaths, GroupsClaim: s.IdentityHeaders.Groups.Claim}
	for _, r := range s.Access.Rules {
		need := access.Need{Public: r.Public, Groups: r.Groups, Issuers: machineIssuerURLs(s, r.Machines)}
		if r.Claim != nil {
			need.Claim = &access.Claim{Name: r.Claim.Name, Values: r.Claim.Values}
		}
		p.Rules = append(p.Rules, access.Rule{Name: r.Name, Hosts: r.Hosts, Paths: r.Paths, Need: need})
	}
	p.Hosts = []string{s.URLs().Public.Hostname()}
	for _, h := range s.Access.Hosts {
		p.Hosts = append(p.Hosts, h.Name)
		if h.MachinesOnly {
			p.MachineHosts = append(p.MachineHosts, h.Name)
		}
	}
	if len(p.MachineHosts) > 0 {
		for _, m := range s.MachineIssuers {
			p.MachineIssuers = append(p.MachineIssuers, m.Issuer)
		}
	}
	return p
}

// machineIssuerURLs are the issuers of the named machine issuers.
func machineIssuerURLs(s api.Spec, names []string) []string {
	var out []string
	for _, m := range s.MachineIssuers {
		if slices.Contains(names, m.Name) {
			out = append(out, m.Issuer)
		}
	}
	return out
}

// mark is how a shadow classifier marks the requests it matches: the
// policy id it records in the RBAC filter's dynamic metadata, under its
// stat prefix, where an Istio condition reads it.
type mark struct{ statPrefix, policy string }

// ruleMark is a rule's classifier's.
func ruleMark(name string) mark {
	return mark{statPrefix: "meshauth_rule_" + strings.ReplaceAll(name, "-", "_") + "_", policy: "meshauth-rule-" + name}
}

func (m mark) key() string {
	return "experimental.envoy.filters.http.rbac[" + m.statPrefix + "shadow_effective_policy_id]"
}

// set holds for the requests the classifier marked, unset for the others.
func (m mark) set() *security.Condition {
	return &security.Condition{Key: m.key(), Values: []string{m.policy}}
}

func (m mark) unset() *security.Condition {
	return &security.Condition{Key: m.key(), NotValues: []string{m.policy}}
}

// accessFilter is the EnvoyFilter of the rules' classifiers and the
// machine-only hosts' one; nil when there are none.
func accessFilter(s api.Spec, c access.Compiled) (*yaml.RNode, error) {
	var filters []httpFilter
	for i, r := range c.Policy.Rules {
		if r.Public || !needsAnything(r.Need) {
			continue
		}
		filters = append(filters, shadowClassifier(accessFilterName+"-"+r.Name, ruleMark(r.Name), permission(c.Rules[i])))
	}
	if c.MachineHost != nil {
		filters = append(filters, shadowClassifier(accessFilterName+"-machine-host", machineHostMark, permission(*c.MachineHost)))
	}
	if len(filters) == 0 {
		return nil, nil
	}
	return gatewayHTTPFilters(s, accessFilterName, filters...)
}

// needsAnything: more than a signed-in identity, which the require-jwt
// policy already asks everywhere but on public paths.
func needsAnything(n access.Need) bool {
	return len(n.Groups) > 0 || n.Claim != nil || len(n.Issuers) > 0
}

// shadowClassifier is an RBAC filter with shadow rules only: it never
// denies, it marks a request matching permission with m.
func shadowClassifier(name string, m mark, perm map[string]any) httpFilter {
	return httpFilter{name, map[string]any{
		"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
		"shadow_rules": map[string]any{
			"action": "ALLOW",
			"policies": map[string]any{m.policy: map[string]any{
				"permissions": []any{perm},
				"principals":  []any{map[string]any{"any": true}},
			}},
		},
		"shadow_rules_stat_prefix": m.statPrefix,
	}}
}

// permission is an Envoy RBAC permission for a Match: the :authority
// and url_path regexes, and none of its exceptions.
func permission(m access.Match) map[string]any {
	var and []any
	if m.Host != "" {
		and = append(and, map[string]any{"header": map[string]any{"name": ":authority", "string_match": regex(m.Host)}})
	}
	if m.Path != "" {
		and = append(and, map[string]any{"url_path": map[string]any{"path": regex(m.Path)}})
	}
	if len(m.Not) > 0 {
		var or []any
		for _, n := range m.Not {
			or = append(or, permission(n))
		}
		and = append(and, map[string]any{"not_rule": map[string]any{"or_rules": map[string]any{"rules": or}}})
	}
	switch len(and) {
	case 0:
		return map[string]any{"any": true}
	case 1:
		return and[0].(map[string]any)
	}
	return map[string]any{"and_rules": map[string]any{"rules": and}}
}

func regex(re string) map[string]any {
	return map[string]any{"safe_regex": map[string]any{"regex": re}}
}

// accessDenyRules are the DENY policy's rules: one per need of each rule,
// on the requests its classifier marked, and one for machine-only hosts.
// oauth2-proxy's own routes are left out, as by the other policies: the
// sign-in and callback carry no token yet, and no app is behind them.
func accessDenyRules(s api.Spec, p access.Policy) []*security.Rule {
	var out []*security.Rule
	notOAuth2 := []*security.Rule_To{{Operation: &security.Operation{NotPaths: oauth2ProxyNotPaths}}}
	for _, r := range p.Rules {
		marked := ruleMark(r.Name).set()
		if len(r.Issuers) > 0 {
			out = append(out, &security.Rule{From: notFrom(r.Issuers), To: notOAuth2, When: []*security.Condition{marked}})
		}
		if len(r.Groups) > 0 {
			out = append(out, &security.Rule{To: notOAuth2, When: []*security.Condition{marked, claimNotIn(p.GroupsClaim, r.Groups)}})
		}
		if c := r.Claim; c != nil {
			out = append(out, &security.Rule{To: notOAuth2, When: []*security.Condition{marked, claimNotIn(c.Name, c.Values)}})
		}
	}
	if len(p.MachineHosts) > 0 {
		out = append(out, &security.Rule{From: notFrom(p.MachineIssuers), When: []*security.Condition{machineHostMark.set()}})
	}
	return out
}

// notFrom: a request whose verified token is not from one of issuers
// (or that has none).
func notFrom(issuers []string) []*security.Rule_From {
	principals := make([]string, len(issuers))
	for i, iss := range issuers {
		principals[i] = iss + "/*"
	}
	return []*security.Rule_From{{Source: &security.Source{NotRequestPrincipals: principals}}}
}

// claimNotIn: the verified token's claim is none of values (a list claim:
// no element is); Istio compares whole strings, so "admin" never matches
// "not-admin" or "a,admin".
func claimNotIn(claim string, values []string) *security.Condition {
	return &security.Condition{Key: "request.auth.claims[" + claim + "]", NotValues: values}
}

// notOnMachineHost keeps the CUSTOM check (the login redirect) off
// machine-only hosts.
func notOnMachineHost(s api.Spec) []*security.Condition {
	if !slices.ContainsFunc(s.Access.Hosts, func(h api.Host) bool { return h.MachinesOnly }) {
		return nil
	}
	return []*security.Condition{machineHostMark.unset()}
}
