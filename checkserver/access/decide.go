package access

import (
	"regexp"
	"slices"
	"strings"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

// Identity is what Decide knows of a verified caller.
type Identity struct {
	// Issuer of the verified token; Bearer is false for a browser session
	// (whose ID token the authorizer verified).
	Issuer string
	Bearer bool
	// Claims are the token's claims the policy names, each as the list of
	// strings it holds (a string claim is a list of one).
	Claims map[string][]string
}

// Verdict is Decide's answer. Denied names the rule and what it needs,
// for the 403 the person sees.
type Verdict struct {
	Denied string
}

// Decider evaluates a compiled policy.
type Decider struct {
	c       Compiled
	rules   []matcher
	public  []matcher
	machine *matcher
}

type matcher struct {
	host, path *regexp.Regexp
	names      []string
	not        []matcher
}

// NewDecider compiles the policy's regexes.
func NewDecider(p Policy) *Decider {
	c := Compile(p)
	d := &Decider{c: c}
	for _, m := range c.Rules {
		d.rules = append(d.rules, newMatcher(m))
	}
	for _, m := range c.Public {
		d.public = append(d.public, newMatcher(m))
	}
	if c.MachineHost != nil {
		m := newMatcher(*c.MachineHost)
		d.machine = &m
	}
	return d
}

func newMatcher(m Match) matcher {
	out := matcher{host: full(m.Host), path: full(m.Path), names: m.Names}
	for _, n := range m.Not {
		out.not = append(out.not, newMatcher(n))
	}
	return out
}

func full(re string) *regexp.Regexp {
	if re == "" {
		return nil
	}
	return regexp.MustCompile("^(?:" + re + ")$")
}

func (m matcher) match(host, path string) bool {
	if m.names != nil && !pathmatch.MayReach(path, m.names) {
		return false
	}
	if m.host != nil && !m.host.MatchString(host) || m.path != nil && !m.path.MatchString(path) {
		return false
	}
	for _, n := range m.not {
		if n.match(host, path) {
			return false
		}
	}
	return true
}

// MachineHost reports whether host is a machine-only host.
func (d *Decider) MachineHost(host string) bool { return d.machine != nil && d.machine.match(host, "") }

// Public reports whether the request needs no identity: surely public,
// and not on a machine-only host.
func (d *Decider) Public(host, target string) bool {
	path, _, _ := strings.Cut(target, "?")
	if d.MachineHost(host) {
		return false
	}
	for _, m := range d.public {
		if m.match(host, path) {
			return true
		}
	}
	return false
}

// Decide judges a verified identity: every rule that may apply, and the
// machine-only host, must be satisfied.
func (d *Decider) Decide(host, target string, id Identity) Verdict {
	path, _, _ := strings.Cut(target, "?")
	if d.MachineHost(host) && !(id.Bearer && slices.Contains(d.c.Policy.MachineIssuers, id.Issuer)) {
		return Verdict{Denied: "this host takes machine tokens only"}
	}
	for i, m := range d.rules {
		r := d.c.Policy.Rules[i]
		if r.Public || !m.match(host, path) {
			continue
		}
		if why := d.unmet(r.Need, id); why != "" {
			return Verdict{Denied: "access rule " + r.Name + ": " + why}
		}
	}
	return Verdict{}
}

// unmet says what of need id lacks, or "".
func (d *Decider) unmet(n Need, id Identity) string {
	if len(n.Issuers) > 0 && !(id.Bearer && slices.Contains(n.Issuers, id.Issuer)) {
		return "needs a machine token"
	}
	if len(n.Groups) > 0 && !holdsAny(id.Claims[d.c.Policy.GroupsClaim], n.Groups) {
		return "needs membership of " + strings.Join(n.Groups, " or ")
	}
	if c := n.Claim; c != nil && !holdsAny(id.Claims[c.Name], c.Values) {
		return "needs " + c.Name + " " + strings.Join(c.Values, " or ")
	}
	return ""
}

// holdsAny: an element of have equals one of want, whole strings only.
func holdsAny(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

// ClaimNames are the claims Decide reads.
func (p Policy) ClaimNames() []string {
	var out []string
	for _, r := range p.Rules {
		if len(r.Groups) > 0 && !slices.Contains(out, p.GroupsClaim) {
			out = append(out, p.GroupsClaim)
		}
		if r.Claim != nil && !slices.Contains(out, r.Claim.Name) {
			out = append(out, r.Claim.Name)
		}
	}
	return out
}
