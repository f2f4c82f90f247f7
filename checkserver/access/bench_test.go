package access

import "testing"

// BenchmarkDecide: the per-request cost of the worked example's rules
// (docs/access.md) in check-server, on a plain path and on a trick.
func BenchmarkDecide(b *testing.B) {
	d := NewDecider(Policy{
		PublicPaths: []string{"/dex/"}, GroupsClaim: "groups", Hosts: []string{"kubeflow.example.com", "ml-api.example.net"},
		MachineHosts: []string{"ml-api.example.net"}, MachineIssuers: []string{"https://ci"},
		Rules: []Rule{
			{Name: "kserve", Hosts: []string{"kubeflow.example.com"}, Paths: []string{"/kserve/"}, Need: Need{Public: true}},
			{Name: "ci", Hosts: []string{"ml-api.example.net"}, Need: Need{Issuers: []string{"https://ci"}, Claim: &Claim{Name: "repository", Values: []string{"o/r"}}}},
			{Name: "pipelines", Paths: []string{"/pipeline/", "/ml_metadata/"}, Need: Need{Groups: []string{"ml-engineers"}}},
			{Name: "dashboard", Paths: []string{"/"}},
		},
	})
	id := Identity{Issuer: "https://login", Claims: map[string][]string{"groups": {"ml-engineers"}}}
	for name, target := range map[string]string{"plain": "/pipeline/apis/v2beta1/runs?page_size=10", "trick": "/static/..%2Fpipeline/apis/v2beta1/runs"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if d.Public("kubeflow.example.com", target) || d.Decide("kubeflow.example.com", target, id).Denied != "" {
					b.Fatal("unexpected decision")
				}
			}
		})
	}
}

// BenchmarkDecideManyRules: 16 group rules, each held against the earlier
// ones' patterns, on a path the last one takes.
func BenchmarkDecideManyRules(b *testing.B) {
	p := Policy{GroupsClaim: "groups", Hosts: []string{"kubeflow.example.com"}}
	for i := range 16 {
		name := "app" + string(rune('a'+i))
		p.Rules = append(p.Rules, Rule{Name: name, Paths: []string{"/" + name + "/"}, Need: Need{Groups: []string{name}}})
	}
	d := NewDecider(p)
	id := Identity{Claims: map[string][]string{"groups": {"appp"}}}
	for b.Loop() {
		if d.Decide("kubeflow.example.com", "/appp/runs", id).Denied != "" {
			b.Fatal("unexpected decision")
		}
	}
}
