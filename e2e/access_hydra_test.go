package e2e

import (
	"strings"
	"testing"
)

// TestAccessHydra: access rules with Ory Hydra as the login issuer (its ID
// tokens carry the person's groups as a JSON list) and its client-credentials
// JWTs as the machine tokens, under both authorizers: a group rule admits
// the Hydra user and refuses the machine, a claim rule on client_id admits
// the machine client only.
func TestAccessHydra(t *testing.T) {
	for _, authorizer := range []string{"oauth2-proxy", "check-server"} {
		t.Run(authorizer, func(t *testing.T) {
			t.Parallel()
			e, h := newHydraEnv(t, func(spec map[string]any) {
				spec["authorizer"] = authorizer
				if authorizer == "check-server" {
					// the login issuer's machine audiences go in oidc.audiences with check-server
					delete(spec, "machineIssuers")
					spec["oidc"].(map[string]any)["audiences"] = []any{hydraMachineAud}
					// and their tokens need the login user claim: sub, which both kinds carry
					spec["identityHeaders"].(map[string]any)["user"].(map[string]any)["claim"] = "sub"
				}
				spec["access"] = map[string]any{"rules": []any{
					map[string]any{"name": "ml", "paths": []any{"/ml/"}, "groups": []any{hydraGroups[0]}},
					map[string]any{"name": "admin", "paths": []any{"/admin/"}, "groups": []any{"admins"}},
					map[string]any{"name": "batch", "paths": []any{"/batch/"}, "claim": map[string]any{"name": "client_id", "values": []any{hydraMachineClient}}},
				}}
			})
			person := e.hydraBrowser(t, h)
			if r := person.hydraLogin(h); r.status != 200 {
				t.Fatalf("Hydra login: %d %.200s\nhops:\n%s", r.status, r.body, person.hops())
			}
			machine := h.clientCredentials(t, e.ctx, hydraMachineClient, hydraMachineSecret, hydraMachineAud)
			bearer := map[string]string{"Accept": "application/json", "Authorization": "Bearer " + machine}
			// want: 200 from the app, 403 from the rule, or 0: anything but
			// the app (a trick oauth2-proxy itself answers with a 301).
			for _, c := range []struct {
				who, path string
				hdr       map[string]string
				want      int
			}{
				{"person", "/ml/runs", nil, 200},
				{"person", "/admin/", nil, 403},
				{"person", "/batch/", nil, 403},
				{"person", "/%61dmin/", nil, 403},
				{"person", "/ml/..%2Fadmin/", nil, 0},
				{"person", "/", nil, 200},
				{"machine", "/batch/jobs", bearer, 200},
				{"machine", "/ml/", bearer, 403},
				{"machine", "/batch/..%2Fml/", bearer, 403},
			} {
				r := person.do("GET", c.path, nil, c.hdr)
				if c.hdr != nil {
					// the bearer alone: a cookie jar must not add the session
					r = e.hydraBrowser(t, h).do("GET", c.path, nil, c.hdr)
				}
				app := r.status == 200 && strings.Contains(r.body, `"headers"`)
				switch {
				case c.want == 200 && !app:
					t.Errorf("%s %s: %d %.200s, want the app's 200", c.who, c.path, r.status, r.body)
				case c.want == 403 && (r.status != 403 || !deniedByRule(r.body)):
					t.Errorf("%s %s: %d %.200s, want the access rule's 403", c.who, c.path, r.status, r.body)
				case c.want == 0 && app:
					t.Errorf("%s %s reached the app: the rule refuses them", c.who, c.path)
				}
			}
		})
	}
}

// deniedByRule: a 403 body of an access rule, from the gateway's DENY policy
// or check-server.
func deniedByRule(body string) bool {
	return strings.Contains(body, "RBAC: access denied") || strings.Contains(body, "forbidden: access rule")
}
