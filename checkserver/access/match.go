package access

import (
	"regexp"
	"slices"
	"strings"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

// Match is a condition on a request's host (the :authority) and path
// (without the query): both RE2 regexes for a full match, empty for any,
// and none of Not may match. It is what the gateway's classifier
// filters run and what Decide evaluates.
type Match struct {
	Host string
	Path string
	Not  []Match
	// Names, set with a ReachPattern path, let Decide skip the regex on a
	// path that cannot match it (pathmatch.MayReach); the gateway runs
	// the regex alone.
	Names []string
}

// Compiled is a Policy's matches.
type Compiled struct {
	Policy Policy
	// Rules[i] holds when rules[i] may apply: its hosts, a path it may
	// reach, and no earlier rule surely taking the request.
	Rules []Match
	// Public holds when a request is surely public: a plain path under a
	// public prefix that no earlier non-public rule may reach.
	Public []Match
	// MachineHost holds on a machine-only host; nil without one.
	MachineHost *Match
}

// Compile builds the matches. The policy must be valid (api.Validate).
func Compile(p Policy) Compiled {
	c := Compiled{Policy: p}
	var sure []Match
	if len(p.PublicPaths) > 0 {
		m := Match{Path: pathmatch.Pattern(p.PublicPaths)}
		c.Public = append(c.Public, m)
		sure = append(sure, m)
	}
	var reach []Match
	for _, r := range p.Rules {
		host := HostPattern(r.Hosts)
		// Where the rule may apply: its hosts, and any host the policy
		// does not name (the gateway routes every Host alike).
		var elsewhere []Match
		if others := without(p.Hosts, r.Hosts); len(r.Hosts) > 0 && len(others) > 0 {
			elsewhere = []Match{{Host: HostPattern(others)}}
		}
		if r.Public {
			// Never held to: a public rule needs nothing. It takes the
			// request only when it is surely public.
			c.Rules = append(c.Rules, Match{})
			m := Match{Host: host, Path: pathmatch.Pattern(paths(r)), Not: clone(reach)}
			c.Public = append(c.Public, m)
			sure = append(sure, m)
			continue
		}
		reaches := pathmatch.ReachPattern(paths(r))
		names := pathmatch.ReachNames(paths(r))
		c.Rules = append(c.Rules, Match{Path: reaches, Names: names, Not: append(clone(sure), elsewhere...)})
		reach = append(reach, Match{Path: reaches, Names: names, Not: elsewhere})
		sure = append(sure, Match{Host: host, Path: pathmatch.Pattern(paths(r))})
	}
	if len(p.MachineHosts) > 0 {
		c.MachineHost = &Match{Host: HostPattern(p.MachineHosts)}
	}
	return c
}

func paths(r Rule) []string {
	if len(r.Paths) == 0 {
		return []string{"/"}
	}
	return r.Paths
}

func clone(m []Match) []Match { return append([]Match(nil), m...) }

// without is hosts less drop.
func without(hosts, drop []string) []string {
	var out []string
	for _, h := range hosts {
		if !slices.Contains(drop, h) {
			out = append(out, h)
		}
	}
	return out
}

// HostPattern matches an :authority naming one of hosts, in any case,
// with or without a port or a trailing dot; "*.example.com" takes any
// subdomain. No hosts gives "" (any).
func HostPattern(hosts []string) string {
	if len(hosts) == 0 {
		return ""
	}
	alts := make([]string, len(hosts))
	for i, h := range hosts {
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			alts[i] = `[^/:@]+\.` + regexp.QuoteMeta(rest)
		} else {
			alts[i] = regexp.QuoteMeta(h)
		}
	}
	return `(?i)(?:` + strings.Join(alts, "|") + `)\.?(?::[0-9]*)?`
}
