package api

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

// Limits on spec.access: every rule becomes a classifier filter and
// regexes on the gateway, run on every request.
const (
	maxAccessRules = 32
	maxRulePaths   = 16
	maxHosts       = 16
)

var (
	hostNameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
	ruleNameRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
	claimNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:/-]+$`)
)

// validateAccess checks the hosts and rules; the rules must be
// enforceable as written, so a rule that never applies, or a public
// prefix that would open part of what a stronger rule protects, is
// refused with the reason.
func validateAccess(s Spec, public *url.URL, errs *FieldErrors) {
	a := s.Access
	hosts := map[string]Host{}
	if public != nil {
		hosts[public.Hostname()] = Host{Name: public.Hostname()}
	}
	if len(a.Hosts) > maxHosts {
		errs.add("spec.access.hosts", "lists %d hosts; at most %d", len(a.Hosts), maxHosts)
	}
	for i, h := range a.Hosts {
		at := idx("spec.access.hosts", i)
		switch {
		case !hostNameRE.MatchString(h.Name):
			errs.add(at+".name", "must be a lower-case DNS name without port or wildcard, e.g. ml-api.example.com; got %q", h.Name)
		case hosts[h.Name].Name != "":
			errs.add(at+".name", "%q is listed twice (or is the publicURL's host, which is served already)", h.Name)
		}
		hosts[h.Name] = h
		if h.MachinesOnly && len(s.MachineIssuers) == 0 {
			errs.add(at+".machinesOnly", "%q would take tokens of spec.machineIssuers only, and none is listed: add the issuer your machines use", h.Name)
		}
	}
	validateCookieHosts(s, public, errs)
	if len(a.Rules) > maxAccessRules {
		errs.add("spec.access.rules", "lists %d rules; at most %d", len(a.Rules), maxAccessRules)
	}
	names := map[string]bool{}
	for i, r := range a.Rules {
		at := idx("spec.access.rules", i)
		if !ruleNameRE.MatchString(r.Name) {
			errs.add(at+".name", "must be a DNS label of at most 40 characters (it names the rule's filter and appears in a 403), e.g. pipelines; got %q", r.Name)
		} else if names[r.Name] {
			errs.add(at+".name", "%q names an earlier rule too; names must be unique", r.Name)
		}
		names[r.Name] = true
		validateRuleWhere(r, at, hosts, errs)
		validateRuleNeed(s, r, at, hosts, errs)
	}
	validateRuleOrder(a.Rules, errs)
}

func validateRuleWhere(r AccessRule, at string, hosts map[string]Host, errs *FieldErrors) {
	for j, h := range r.Hosts {
		if hosts[h].Name == "" {
			errs.add(idx(at+".hosts", j), "%q is neither the publicURL's host nor in spec.access.hosts; add it there first", h)
		}
	}
	if len(r.Paths) > maxRulePaths {
		errs.add(at+".paths", "lists %d paths; at most %d", len(r.Paths), maxRulePaths)
	}
	for j, p := range r.Paths {
		if !pathmatch.Plain(p) {
			errs.add(idx(at+".paths", j), "%q must be a plain path prefix: starting with /, no %%-escapes, \\, ;, #, // or dot segments (a rule on an encoded path would not match what apps route on)", p)
		}
	}
	if n := pathmatch.ProgramSize(pathmatch.ReachPattern(r.Paths)); n > pathmatch.MaxProgramSize {
		errs.add(at+".paths", "make a path regex of %d instructions, over the %d the gateway is given; use fewer or shorter prefixes, or split the rule", n, pathmatch.MaxProgramSize)
	}
}

func validateRuleNeed(s Spec, r AccessRule, at string, hosts map[string]Host, errs *FieldErrors) {
	if r.Public && (len(r.Groups) > 0 || r.Claim != nil || len(r.Machines) > 0) {
		errs.add(at+".public", "a public rule admits anyone; it cannot also need groups, a claim or machines: split it into two rules")
	}
	if r.Public {
		for _, h := range ruleHosts(r, hosts) {
			if hosts[h].MachinesOnly {
				errs.add(at+".hosts", "%q takes machine tokens only, so nothing on it can be public; name the other hosts in hosts", h)
			}
		}
	}
	for j, g := range r.Groups {
		if strings.TrimSpace(g) == "" {
			errs.add(idx(at+".groups", j), "must not be empty")
		}
	}
	if c := r.Claim; c != nil {
		if !claimNameRE.MatchString(c.Name) {
			errs.add(at+".claim.name", "must be a top-level claim name (letters, digits, _ . : / -), e.g. department; got %q", c.Name)
		}
		if len(c.Values) == 0 {
			errs.add(at+".claim.values", "must list at least one value the claim may have")
		}
	}
	for j, m := range r.Machines {
		mi := slices.IndexFunc(s.MachineIssuers, func(x MachineIssuer) bool { return x.Name == m })
		switch {
		case mi < 0:
			errs.add(idx(at+".machines", j), "%q is not the name of a spec.machineIssuers entry", m)
		case s.MachineIssuers[mi].Issuer == s.OIDC.IssuerURL:
			errs.add(idx(at+".machines", j), "%q is the login issuer, whose tokens browser sessions carry too: a machines rule could not tell them apart; use a separate issuer for machines", m)
		}
	}
}

// ruleHosts: the hosts a rule names, or every host.
func ruleHosts(r AccessRule, hosts map[string]Host) []string {
	if len(r.Hosts) > 0 {
		return r.Hosts
	}
	out := make([]string, 0, len(hosts))
	for h := range hosts {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// validateRuleOrder refuses a path of a rule that an earlier rule takes
// entirely (it would never apply), and a public path inside a rule that
// needs more than a sign-in (it would open part of what that rule
// protects, to the app behind it).
func validateRuleOrder(rules []AccessRule, errs *FieldErrors) {
	for i, r := range rules {
		for j, p := range rulePaths(r) {
			at := idx(idx("spec.access.rules", i)+".paths", j)
			for k, e := range rules {
				if k == i || !hostsOverlap(e.Hosts, r.Hosts) || !covers(rulePaths(e), p) {
					continue
				}
				if k < i && hostsCover(e.Hosts, r.Hosts) {
					errs.add(at, "%q never applies: rule %q (earlier) takes every request under it; move this rule before %q", p, e.Name, e.Name)
					break
				}
				if r.Public && !e.Public && needsMore(e) {
					errs.add(at, "public %q lies inside rule %q, which needs %s: a public path there would open part of what that rule protects; move the public path out of %q or drop it", p, e.Name, needText(e), strings.Join(rulePaths(e), ", "))
					break
				}
			}
		}
	}
}

func rulePaths(r AccessRule) []string {
	if len(r.Paths) == 0 {
		return []string{"/"}
	}
	return r.Paths
}

func needsMore(r AccessRule) bool { return len(r.Groups) > 0 || r.Claim != nil || len(r.Machines) > 0 }

func needText(r AccessRule) string {
	var parts []string
	if len(r.Groups) > 0 {
		parts = append(parts, "group "+strings.Join(r.Groups, " or "))
	}
	if r.Claim != nil {
		parts = append(parts, "claim "+r.Claim.Name)
	}
	if len(r.Machines) > 0 {
		parts = append(parts, "a machine token")
	}
	return strings.Join(parts, " and ")
}

// covers: p lies under one of prefixes, on a segment boundary.
func covers(prefixes []string, p string) bool {
	p = strings.TrimSuffix(p, "/") + "/"
	for _, pre := range prefixes {
		if strings.HasPrefix(p, strings.TrimSuffix(pre, "/")+"/") {
			return true
		}
	}
	return false
}

// hostsCover: every host of inner is a host of outer (empty is every host).
func hostsCover(outer, inner []string) bool {
	if len(outer) == 0 {
		return true
	}
	if len(inner) == 0 {
		return false
	}
	for _, h := range inner {
		if !slices.Contains(outer, h) {
			return false
		}
	}
	return true
}

func hostsOverlap(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, h := range a {
		if slices.Contains(b, h) {
			return true
		}
	}
	return false
}

// validateCookieHosts: the session cookie reaches every host that shares
// the session and none that takes machine tokens only.
func validateCookieHosts(s Spec, public *url.URL, errs *FieldErrors) {
	domains := s.OAuth2Proxy.Cookie.Domains
	for i, h := range s.Access.Hosts {
		at := idx("spec.access.hosts", i)
		covered := slices.ContainsFunc(domains, func(d string) bool { return domainCovers(d, h.Name) })
		switch {
		case h.MachinesOnly && covered:
			errs.add(at+".name", "%q takes machine tokens only, but the session cookie's domain %v covers it, so browsers would send it the session; use a cookie domain that leaves it out, or a host outside it", h.Name, domains)
		case !h.MachinesOnly && !covered:
			errs.add(at+".name", "%q shares the login session, but no spec.oauth2Proxy.cookie.domains entry covers it and the publicURL's host; set one to their common parent domain, e.g. %q", h.Name, "."+commonParent(h.Name, urlHost(public)))
		}
	}
}

func domainCovers(domain, host string) bool {
	d := strings.TrimPrefix(domain, ".")
	return d != "" && (host == d || strings.HasSuffix(host, "."+d))
}

func urlHost(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Hostname()
}

// commonParent is the longest domain both a and b are under ("" when
// they share fewer than two labels).
func commonParent(a, b string) string {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	n := 0
	for n < len(as) && n < len(bs) && as[len(as)-1-n] == bs[len(bs)-1-n] {
		n++
	}
	if n < 2 {
		return ""
	}
	return strings.Join(as[len(as)-n:], ".")
}
