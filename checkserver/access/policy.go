// Package access is who may reach what: the access rules of an AuthConfig
// as the gateway and check-server both run them. It is the one definition
// of which rule applies to a request (Compile) and of what it needs
// (Needs); the generator translates the matches into the gateway's
// classifier filters and Istio policies, check-server evaluates them
// itself (Decide), so the two authorizers decide alike.
//
// Rules are ordered, and the first whose hosts and paths match a plain
// path decides, as a route table does. A path some normalisation could
// move (pathmatch.ReachPattern) is held to every rule it may reach that
// no earlier rule surely takes: a deny always wins.
package access

// Policy is the rule set, as the check-server config carries it.
type Policy struct {
	// PublicPaths are public on every host, ahead of every rule: the login
	// pages (spec.publicPaths).
	PublicPaths []string `json:"publicPaths,omitempty"`
	Rules       []Rule   `json:"rules,omitempty"`
	// MachineHosts take bearer tokens of MachineIssuers only: no login,
	// no session, no public path.
	MachineHosts   []string `json:"machineHosts,omitempty"`
	MachineIssuers []string `json:"machineIssuers,omitempty"`
	// GroupsClaim is the token claim a rule's groups are read from.
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// Hosts are every host the AuthConfig names (the publicURL's and
	// spec.access.hosts). A request naming none of them may be routed as
	// any of them, so a rule limited to some hosts holds there too.
	Hosts []string `json:"hosts,omitempty"`
}

// Rule is one access rule: where, and what it needs.
type Rule struct {
	Name string `json:"name"`
	// Hosts it applies on (any when empty) and path prefixes (every path
	// when empty).
	Hosts []string `json:"hosts,omitempty"`
	Paths []string `json:"paths,omitempty"`
	Need
}

// Need is what a rule asks of a request. Public admits anyone; otherwise
// a verified identity is needed, and each set field narrows it (all
// must hold): an empty Need is any signed-in identity.
type Need struct {
	Public bool `json:"public,omitempty"`
	// Groups: a member of any of them (the groups claim, element-wise).
	Groups []string `json:"groups,omitempty"`
	// Claim: the claim equals one of the values, or holds one of them
	// when it is a list.
	Claim *Claim `json:"claim,omitempty"`
	// Issuers: a bearer token of one of these issuers (machines); never a
	// browser session.
	Issuers []string `json:"issuers,omitempty"`
}

// Claim is a claim name and the values it may have.
type Claim struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Enabled reports whether the policy says more than today's default
// (public paths, and any signed-in identity elsewhere).
func (p Policy) Enabled() bool { return len(p.Rules) > 0 || len(p.MachineHosts) > 0 }
