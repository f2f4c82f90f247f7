package e2e

import (
	"strings"
	"testing"

	"meshauth.dev/meshauth/internal/loopback"
)

// TestAccessRootRule: a group rule on "/" (everything behind the gateway
// for one group) leaves the login itself alone — oauth2-proxy's sign-in and
// callback carry no token yet — so a member logs in and lands on the
// dashboard, and anyone else logs in too and gets the rule's 403 on landing,
// once, not a login loop. Both authorizers.
func TestAccessRootRule(t *testing.T) {
	for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
		t.Run(authorizer, func(t *testing.T) {
			t.Parallel()
			e := newAccessEnv(t, authorizer, "", func(spec map[string]any) {
				spec["access"].(map[string]any)["rules"] = []any{
					map[string]any{"name": "employees", "paths": []any{"/"}, "groups": []any{personB.groups[0]}},
				}
			})
			member := e.hostBrowser(t)
			if seen := dashboardSaw(t, member.loginAs(personB.email)); seen.Get(e.userHeader) != personB.email {
				t.Errorf("the member landed as %q, want %s", seen.Get(e.userHeader), personB.email)
			}
			other := e.hostBrowser(t)
			p, err := loopback.Login(e.ctx, other, personNone.email)
			if err != nil {
				t.Fatalf("login as %s: %v\nhops:\n%s", personNone.email, err, other.hops())
			}
			if p.Status != 403 || !deniedByRule(p.Body) || strings.Count(other.hops(), "GET /oauth2/callback") != 1 {
				t.Errorf("a non-member's login ended at %d %.200s, want the rule's 403 after one callback\nhops:\n%s", p.Status, p.Body, other.hops())
			}
		})
	}
}
