package api

import (
	"strings"
	"testing"
)

// withAccess is valid() with a machine issuer and the given access block.
func withAccess(a Access) AuthConfig {
	c := valid()
	c.Spec.MachineIssuers = []MachineIssuer{{Name: "ci", Issuer: "https://ci.example.net", UserClaim: "sub"}}
	c.Spec.Access = a
	return Defaulted(c)
}

func TestValidateAccess(t *testing.T) {
	pipelines := AccessRule{Name: "pipelines", Paths: []string{"/pipeline/"}, Groups: []string{"ml-engineers"}}
	type scenario struct {
		access    Access
		path, msg string // "" path: must be valid
	}
	for name, sc := range map[string]scenario{
		"the worked example": {access: Access{Rules: []AccessRule{
			{Name: "kserve", Paths: []string{"/kserve/"}, Public: true}, pipelines, {Name: "dashboard", Paths: []string{"/"}},
		}}},
		"a narrower rule first is fine": {access: Access{Rules: []AccessRule{
			{Name: "admin", Paths: []string{"/pipeline/admin/"}, Groups: []string{"admins"}}, pipelines,
		}}},
		"a rule an earlier one takes entirely": {access: Access{Rules: []AccessRule{
			pipelines, {Name: "admin", Paths: []string{"/pipeline/admin/"}, Groups: []string{"admins"}},
		}}, path: "spec.access.rules[1].paths[0]", msg: `never applies: rule "pipelines" (earlier)`},
		"a public prefix inside a protected one, before it": {access: Access{Rules: []AccessRule{
			{Name: "assets", Paths: []string{"/pipeline/static/"}, Public: true}, pipelines,
		}}, path: "spec.access.rules[0].paths[0]", msg: `would open part of what that rule protects`},
		"a public prefix inside the signed-in default, before it": {access: Access{Rules: []AccessRule{
			{Name: "kserve", Paths: []string{"/kserve/"}, Public: true}, {Name: "all", Paths: []string{"/"}},
		}}},
		"a public prefix after the signed-in rule covering it": {access: Access{Rules: []AccessRule{
			{Name: "all"}, {Name: "kserve", Paths: []string{"/kserve/"}, Public: true},
		}}, path: "spec.access.rules[1].paths[0]", msg: "never applies"},
		"public and groups": {access: Access{Rules: []AccessRule{{Name: "x", Public: true, Groups: []string{"a"}}}},
			path: "spec.access.rules[0].public", msg: "split it into two rules"},
		"an encoded path": {access: Access{Rules: []AccessRule{{Name: "x", Paths: []string{"/%70ipeline/"}, Groups: []string{"a"}}}},
			path: "spec.access.rules[0].paths[0]", msg: "plain path prefix"},
		"a bad rule name": {access: Access{Rules: []AccessRule{{Name: "Pipelines!"}}},
			path: "spec.access.rules[0].name", msg: "DNS label"},
		"two rules of one name": {access: Access{Rules: []AccessRule{pipelines, {Name: "pipelines", Paths: []string{"/x/"}}}},
			path: "spec.access.rules[1].name", msg: "unique"},
		"an unknown host": {access: Access{Rules: []AccessRule{{Name: "x", Hosts: []string{"other.example.com"}, Groups: []string{"a"}}}},
			path: "spec.access.rules[0].hosts[0]", msg: "add it there first"},
		"an unknown machine issuer": {access: Access{Rules: []AccessRule{{Name: "x", Machines: []string{"nope"}}}},
			path: "spec.access.rules[0].machines[0]", msg: "not the name of a spec.machineIssuers entry"},
		"a claim without values": {access: Access{Rules: []AccessRule{{Name: "x", Claim: &ClaimRequirement{Name: "dept"}}}},
			path: "spec.access.rules[0].claim.values", msg: "at least one value"},
		"a claim name with brackets": {access: Access{Rules: []AccessRule{{Name: "x", Claim: &ClaimRequirement{Name: "a[b]", Values: []string{"v"}}}}},
			path: "spec.access.rules[0].claim.name", msg: "top-level claim name"},
		"public on a machine-only host": {access: Access{Hosts: []Host{{Name: "api.example.net", MachinesOnly: true}},
			Rules: []AccessRule{{Name: "x", Hosts: []string{"api.example.net"}, Paths: []string{"/docs/"}, Public: true}}},
			path: "spec.access.rules[0].hosts", msg: "machine tokens only"},
		"a machine-only host under the cookie domain": {access: Access{Hosts: []Host{
			{Name: "nb.kubeflow.example.com"}, {Name: "api.kubeflow.example.com", MachinesOnly: true}}},
			path: "spec.access.hosts[1].name", msg: "browsers would send it the session"},
		"a session host the derived domain covers": {access: Access{Hosts: []Host{{Name: "nb.kubeflow.example.com"}}}},
		"a session host on another domain": {access: Access{Hosts: []Host{{Name: "nb.example.org"}}},
			path: "spec.access.hosts[0].name", msg: "no spec.oauth2Proxy.cookie.domains entry covers it"},
		"a host with a port": {access: Access{Hosts: []Host{{Name: "api.example.net:8443", MachinesOnly: true}}},
			path: "spec.access.hosts[0].name", msg: "without port"},
		"too many paths for the gateway's regex": {access: Access{Rules: []AccessRule{{Name: "x", Groups: []string{"a"},
			Paths: []string{"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", "/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/",
				"/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc/", "/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/",
				"/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/",
				"/ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff/",
				"/gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg/",
				"/hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh/"}}}},
			path: "spec.access.rules[0].paths", msg: "over the 16384 the gateway is given"},
	} {
		t.Run(name, func(t *testing.T) {
			errs := Validate(withAccess(sc.access))
			if sc.path == "" {
				if len(errs) > 0 {
					t.Fatalf("want valid, got:\n%v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Path == sc.path && strings.Contains(e.Message, sc.msg) {
					return
				}
			}
			t.Errorf("want an error at %s containing %q, got:\n%v", sc.path, sc.msg, errs)
		})
	}
}

func TestSessionHostsGetTheParentDomain(t *testing.T) {
	c := withAccess(Access{Hosts: []Host{{Name: "nb.kubeflow.example.com"}, {Name: "api.example.net", MachinesOnly: true}}})
	if got := c.Spec.OAuth2Proxy.Cookie.Domains; len(got) != 1 || got[0] != ".kubeflow.example.com" {
		t.Errorf("cookie domains = %v, want [.kubeflow.example.com]", got)
	}
}
