package access

import (
	"slices"
	"strings"
	"testing"

	"meshauth.dev/meshauth/internal/pathnorm"
)

// The deny-wins property: for any rule set, a path the Decider lets an
// identity through on is let through by the rule that first matches
// every form a normalisation can give the path (case-blind or not), and
// a path it calls public is public in every such form.

var (
	vocabPrefixes = []string{"/pipeline/", "/pipeline/admin/", "/kserve/", "/static/", "/a/b/", "/"}
	vocabNeeds    = []Need{{Public: true}, {}, {Groups: []string{"g1"}}, {Groups: []string{"g2"}}, {Claim: &Claim{Name: "dept", Values: []string{"ml"}}}}
	denyTricks    = []string{
		"/pipeline", "/pipeline/x", "//pipeline/", "/a/../pipeline/", "/%70ipeline/", "/PIPELINE/", "/static/..%2Fpipeline/",
		"/x/..;/pipeline/", "/%2570ipeline/", "/pipeline/admin/x", "/pipeline/ADMIN/x", "/pipeline/admin/..%2Fx", "/kserve/x",
		"/kserve/..%2Fpipeline/", "/static/app.css", "/a/b/c", "/a//b/", "/dex/x", "/dex/..%2Fpipeline/", "/", "/other",
		"/pipeline%20/", "/pipeline./", "/pipeline%ef%bc%8fx", "/pipeline%c0%af", "/pipeline%00/", "/static/..／pipeline/",
	}
)

// policyOf builds up to four rules from fuzz bytes.
func policyOf(spec []byte) Policy {
	p := Policy{PublicPaths: []string{"/dex/"}, GroupsClaim: "groups"}
	for i := 0; i+1 < len(spec) && len(p.Rules) < 4; i += 2 {
		p.Rules = append(p.Rules, Rule{
			Name:  "r" + string(rune('0'+len(p.Rules))),
			Paths: []string{vocabPrefixes[int(spec[i])%len(vocabPrefixes)]},
			Need:  vocabNeeds[int(spec[i+1])%len(vocabNeeds)],
		})
	}
	return p
}

// intended is the rule that first matches q, or nil (a signed-in
// identity suffices); public reports a public prefix.
func intended(p Policy, q string, fold bool) (r *Rule, public bool) {
	if slices.ContainsFunc(p.PublicPaths, func(pre string) bool { return pathnorm.Under(q, pre, fold) && strings.HasPrefix(q+"/", pre) }) {
		return nil, true
	}
	for i := range p.Rules {
		if slices.ContainsFunc(paths(p.Rules[i]), func(pre string) bool { return pathnorm.Under(q, pre, fold) }) {
			return &p.Rules[i], p.Rules[i].Public
		}
	}
	return nil, false
}

func identities() []Identity {
	var out []Identity
	for _, groups := range [][]string{nil, {"g1"}, {"g2"}, {"g1", "g2"}, {"not-g1", "g1,g2"}} {
		for _, dept := range [][]string{nil, {"ml"}, {"ml-ops"}} {
			out = append(out, Identity{Issuer: "https://login", Claims: map[string][]string{"groups": groups, "dept": dept}})
		}
	}
	return out
}

func checkDenyWins(t *testing.T, p Policy, d *Decider, target string, variants map[string]bool) {
	// due: the rules some form of the path first-matches; public: every
	// form is public.
	due, public := map[string]*Rule{}, true
	for q := range variants {
		for _, fold := range []bool{false, true} {
			r, pub := intended(p, q, fold)
			public = public && pub
			if r != nil && !r.Public {
				due[r.Name] = r
			}
		}
	}
	if d.Public("h", target) && !public {
		t.Fatalf("rules %+v: %q is public, but one of its forms is not", p.Rules, target)
	}
	for _, id := range identities() {
		if d.Decide("h", target, id).Denied != "" {
			continue
		}
		for _, r := range due {
			if d.unmet(r.Need, id) != "" {
				t.Fatalf("rules %+v: %q lets %v through, but a form of it is rule %s's, which refuses it", p.Rules, target, id.Claims, r.Name)
			}
		}
	}
}

func TestDenyWins(t *testing.T) {
	variants := map[string]map[string]bool{}
	for _, target := range denyTricks {
		path, _, _ := strings.Cut(target, "?")
		variants[target] = pathnorm.Variants(path)
	}
	for a := range vocabPrefixes {
		for b := range vocabPrefixes {
			for na := range vocabNeeds {
				for nb := range vocabNeeds {
					p := policyOf([]byte{byte(a), byte(na), byte(b), byte(nb)})
					d := NewDecider(p)
					for _, target := range denyTricks {
						checkDenyWins(t, p, d, target, variants[target])
					}
				}
			}
		}
	}
}

// TestFirstMatchOnPlainPaths: on a plain path the first matching rule
// alone decides, as a route table does.
func TestFirstMatchOnPlainPaths(t *testing.T) {
	p := Policy{GroupsClaim: "groups", Rules: []Rule{
		{Name: "admin", Paths: []string{"/pipeline/admin/"}, Need: Need{Groups: []string{"admins"}}},
		{Name: "pipelines", Paths: []string{"/pipeline/"}, Need: Need{Groups: []string{"ml"}}},
	}}
	d := NewDecider(p)
	admin := Identity{Claims: map[string][]string{"groups": {"admins"}}}
	for target, want := range map[string]string{
		"/pipeline/admin/x":       "",
		"/pipeline/runs":          "access rule pipelines: needs membership of ml",
		"/pipeline/admin/..%2Fx":  "access rule pipelines: needs membership of ml", // may be /pipeline/x: both rules hold
		"/pipeline/ADMIN/x":       "access rule pipelines: needs membership of ml",
		"/notebook/pipeline/x":    "",
		"/static/..%2Fpipeline/x": "access rule pipelines: needs membership of ml",
	} {
		if got := d.Decide("h", target, admin).Denied; got != want {
			t.Errorf("%s: denied %q, want %q", target, got, want)
		}
	}
}

func FuzzDenyWins(f *testing.F) {
	for _, target := range denyTricks {
		f.Add([]byte{0, 2, 5, 1}, target)
		f.Add([]byte{1, 3, 0, 2, 2, 0}, target)
	}
	f.Fuzz(func(t *testing.T, spec []byte, target string) {
		if len(target) > 48 || !strings.HasPrefix(target, "/") {
			return
		}
		path, _, _ := strings.Cut(target, "?")
		p := policyOf(spec)
		checkDenyWins(t, p, NewDecider(p), target, pathnorm.Variants(path))
	})
}

// TestHostsTheRuleDoesNotName: a rule limited to some hosts also holds on
// a host the policy does not name (the gateway routes every Host alike),
// and not on the policy's other hosts.
func TestHostsTheRuleDoesNotName(t *testing.T) {
	d := NewDecider(Policy{GroupsClaim: "groups", Hosts: []string{"kubeflow.example.com", "nb.example.com"}, Rules: []Rule{
		{Name: "pipelines", Hosts: []string{"kubeflow.example.com"}, Paths: []string{"/pipeline/"}, Need: Need{Groups: []string{"ml"}}},
	}})
	nobody := Identity{Claims: map[string][]string{}}
	for host, denied := range map[string]bool{
		"kubeflow.example.com": true, "KubeFlow.example.com.:443": true, "10.0.0.7": true, "kubeflow.example.com.evil": true,
		"nb.example.com": false, "nb.example.com:8443": false,
	} {
		if got := d.Decide(host, "/pipeline/x", nobody).Denied != ""; got != denied {
			t.Errorf("Host %q: denied = %v, want %v", host, got, denied)
		}
	}
}
