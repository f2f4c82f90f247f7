package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"meshauth.dev/meshauth/checkserver/pathmatch"
)

// FieldError is one validation problem, named by its field path.
type FieldError struct {
	Path string
	Msg  string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Msg }

// asymmetricAlgs are the only signature algorithms an issuer may allow.
// Symmetric (HS*) algorithms are refused outright: with public JWKS keys they
// are the HS/RS key-confusion attack, and "none" is no signature at all.
var asymmetricAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// headerNameRE is the RFC 9110 token grammar for field names.
var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// reservedHeaders may not be used as identity headers: setting them would
// break routing or hand credentials upstream.
var reservedHeaders = map[string]bool{
	"host": true, "authorization": true, "cookie": true, "content-length": true,
	"transfer-encoding": true, "connection": true, "x-envoy-auth-headers-to-remove": true,
}

// Validate reports every problem at once, each naming its field path. It
// does no I/O, so the generator can run it on a config it is about to emit.
func (c Config) Validate() []error {
	v := &validator{}
	c = c.WithDefaults()
	v.listeners(c)
	v.issuers(c)
	v.tokenReview(c)
	v.oauth2Proxy(c)
	v.identity(c)
	v.paths(c)
	v.access(c)
	v.limits(c)
	return v.errs
}

// listeners checks the listen addresses and the HTTP path prefix.
func (v *validator) listeners(c Config) {
	if c.Listen.HTTP == "" && c.Listen.GRPC == "" {
		v.add("listen", "at least one of http and grpc must be set")
	}
	v.addr("listen.http", c.Listen.HTTP, true)
	v.addr("listen.grpc", c.Listen.GRPC, true)
	v.addr("listen.ops", c.Listen.Ops, false)
	if p := c.HTTPPathPrefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "?#%")) {
		v.add("httpPathPrefix", fmt.Sprintf("must start with / and not end with / (got %q)", p))
	}
}

// issuers checks each JWT issuer and that none is listed twice.
func (v *validator) issuers(c Config) {
	seen := map[string]int{}
	for i, is := range c.Issuers {
		p := fmt.Sprintf("issuers[%d]", i)
		v.issuer(p, is)
		if j, dup := seen[is.Issuer]; dup && is.Issuer != "" {
			v.add(p+".issuer", fmt.Sprintf("duplicate of issuers[%d]", j))
		}
		seen[is.Issuer] = i
	}
}

// tokenReview checks the Kubernetes TokenReview settings when it is enabled.
func (v *validator) tokenReview(c Config) {
	tr := c.Kubernetes.TokenReview
	if tr.Enabled {
		p := "kubernetes.tokenReview"
		v.url(p+".apiServer", tr.APIServer, false)
		v.nonEmpty(p+".tokenFile", tr.TokenFile)
		v.nonEmpty(p+".caFile", tr.CAFile)
		v.positive(p+".timeout", tr.Timeout)
		v.positive(p+".cacheTTL", tr.CacheTTL)
		v.list(p+".audiences", tr.Audiences)
		v.positive(p+".negativeCacheTTL", tr.NegativeCacheTTL)
		if tr.MaxConcurrent < 1 {
			v.add(p+".maxConcurrent", fmt.Sprintf("must be at least 1 (got %d)", tr.MaxConcurrent))
		}
		if tr.RatePerSecond < 1 {
			v.add(p+".ratePerSecond", fmt.Sprintf("must be at least 1 (got %d)", tr.RatePerSecond))
		}
	}
}

// oauth2Proxy checks the oauth2-proxy session check when it is configured.
func (v *validator) oauth2Proxy(c Config) {
	op := c.OAuth2Proxy
	if op.URL != "" {
		v.url("oauth2Proxy.url", op.URL, true)
		v.absPath("oauth2Proxy.authPath", op.AuthPath)
		v.absPath("oauth2Proxy.signInPath", op.SignInPath)
		v.positive("oauth2Proxy.timeout", op.Timeout)
		v.header("oauth2Proxy.userHeader", op.UserHeader)
		v.header("oauth2Proxy.groupsHeader", op.GroupsHeader)
		if op.CookieName != "" && !headerNameRE.MatchString(op.CookieName) {
			v.add("oauth2Proxy.cookieName", fmt.Sprintf("not a valid cookie name (got %q)", op.CookieName))
		}
		if sc := op.SessionCache; sc.Size < 0 {
			v.add("oauth2Proxy.sessionCache.size", fmt.Sprintf("must be >= 0; 0 turns the cache off (got %d)", sc.Size))
		} else if sc.Size > 0 && (sc.TTL.Duration <= 0 || sc.TTL.Duration > 5*time.Minute) {
			v.add("oauth2Proxy.sessionCache.ttl", fmt.Sprintf("must be between 1s and 5m (got %s)", sc.TTL))
		}
		for i, sp := range op.SignOutPaths {
			v.absPath(fmt.Sprintf("oauth2Proxy.signOutPaths[%d]", i), sp)
		}
	}
}

// identity checks the identity headers, their transformers and the header lists.
func (v *validator) identity(c Config) {
	id := c.Identity
	v.identityHeader("identity.userHeader", id.UserHeader)
	v.identityHeader("identity.groupsHeader", id.GroupsHeader)
	if strings.EqualFold(id.UserHeader, id.GroupsHeader) && id.UserHeader != "" {
		v.add("identity.groupsHeader", "must differ from identity.userHeader")
	}
	for i, t := range id.UserTransformers {
		p := fmt.Sprintf("identity.userTransformers[%d].match", i)
		if t.Match == "" {
			v.add(p, "must not be empty")
		} else if _, err := regexp.Compile(t.Match); err != nil {
			v.add(p, fmt.Sprintf("invalid regular expression: %v", err))
		}
	}
	v.list("identity.allowedGroups", id.AllowedGroups)
	if f := id.GroupsFormat; f != "" && f != GroupsCSV && f != GroupsJSONBase64 {
		v.add("identity.groupsFormat", fmt.Sprintf("must be csv or json-base64 (got %q)", f))
	}
	for i, h := range id.StripHeaders {
		v.identityHeader(fmt.Sprintf("identity.stripHeaders[%d]", i), h)
	}
	for i, h := range id.KeepHeaders {
		if !containsFold(DefaultStripHeaders, h) {
			v.add(fmt.Sprintf("identity.keepHeaders[%d]", i), fmt.Sprintf("only a default strip header can be kept: one of %s (got %q)", strings.Join(DefaultStripHeaders, ", "), h))
		} else if containsFold(id.StripHeaders, h) {
			v.add(fmt.Sprintf("identity.keepHeaders[%d]", i), fmt.Sprintf("%q is also in identity.stripHeaders; list it in one of them", h))
		}
	}
}

// paths checks the API route patterns and the skip-auth path prefixes.
func (v *validator) paths(c Config) {
	for i, r := range c.APIRoutes {
		if _, err := regexp.Compile(r); err != nil {
			v.add(fmt.Sprintf("apiRoutes[%d]", i), fmt.Sprintf("invalid regular expression: %v", err))
		}
	}
	for i, sp := range c.SkipAuthPaths {
		p := fmt.Sprintf("skipAuthPaths[%d]", i)
		if !strings.HasPrefix(sp, "/") {
			v.add(p, fmt.Sprintf("must be an absolute path (got %q)", sp))
		} else if !pathmatch.Plain(sp) {
			v.add(p, fmt.Sprintf("must be a plain path prefix without dot-segments, //, %%-escapes, \\, ;, query or fragment (got %q)", sp))
		}
	}
}

// access checks the access policy. Its rules may only name configured JWT
// issuers: a machine rule is satisfied by a token's verified iss, and an
// issuer check-server does not verify could never satisfy it.
func (v *validator) access(c Config) {
	a := c.Access
	configured := map[string]bool{}
	for _, is := range c.Issuers {
		configured[is.Issuer] = true
	}
	v.plainPaths("access.publicPaths", a.PublicPaths)
	names := map[string]int{}
	groups := false
	for i, r := range a.Rules {
		p := fmt.Sprintf("access.rules[%d]", i)
		if r.Name == "" {
			v.add(p+".name", "must not be empty")
		} else if j, dup := names[r.Name]; dup {
			v.add(p+".name", fmt.Sprintf("duplicate of access.rules[%d]", j))
		} else {
			names[r.Name] = i
		}
		v.hosts(p+".hosts", r.Hosts)
		v.plainPaths(p+".paths", r.Paths)
		if r.Public && (len(r.Groups) > 0 || r.Claim != nil || len(r.Issuers) > 0) {
			v.add(p, "a public rule needs nothing: groups, claim and issuers must be empty")
		}
		v.list(p+".groups", r.Groups)
		groups = groups || len(r.Groups) > 0
		if cl := r.Claim; cl != nil {
			v.nonEmpty(p+".claim.name", cl.Name)
			if len(cl.Values) == 0 {
				v.add(p+".claim.values", "must list at least one value")
			}
			v.list(p+".claim.values", cl.Values)
		}
		v.configuredIssuers(p+".issuers", r.Issuers, configured)
	}
	if groups && a.GroupsClaim == "" {
		v.add("access.groupsClaim", "must be set when a rule has groups")
	}
	v.hosts("access.machineHosts", a.MachineHosts)
	v.configuredIssuers("access.machineIssuers", a.MachineIssuers, configured)
}

// limits checks the size, cache, JWKS and time limits.
func (v *validator) limits(c Config) {
	if c.MaxTokenBytes < 256 || c.MaxTokenBytes > 1<<20 {
		v.add("maxTokenBytes", fmt.Sprintf("must be between 256 and 1048576 (got %d)", c.MaxTokenBytes))
	}
	if c.Cache.Size < 0 {
		v.add("cache.size", fmt.Sprintf("must be >= 0; 0 turns the cache off (got %d)", c.Cache.Size))
	}
	if c.Cache.Size > 0 {
		v.positive("cache.maxTTL", c.Cache.MaxTTL)
	}
	if c.JWKS.RefreshInterval.Duration < time.Second {
		v.add("jwks.refreshInterval", fmt.Sprintf("must be at least 1s (got %s)", c.JWKS.RefreshInterval))
	}
	if c.JWKS.MinRefetchInterval.Duration < 0 {
		v.add("jwks.minRefetchInterval", "must not be negative")
	}
	v.positive("jwks.timeout", c.JWKS.Timeout)
	if c.Leeway.Duration < 0 || c.Leeway.Duration > 5*time.Minute {
		v.add("leeway", fmt.Sprintf("must be between 0s and 5m (got %s)", c.Leeway))
	}
	v.positive("shutdownTimeout", c.ShutdownTimeout)
}

func (v *validator) issuer(p string, is Issuer) {
	if is.Issuer == "" {
		v.add(p+".issuer", "must not be empty")
	} else if u, err := url.Parse(is.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(p+".issuer", fmt.Sprintf("must be an absolute http(s) URL (got %q)", is.Issuer))
	} else if is.Discovery {
		v.url(p+".issuer", is.Issuer, is.AllowHTTP)
	}
	switch {
	case is.Discovery && is.JWKSURI != "":
		v.add(p+".jwksURI", "set either discovery or jwksURI, not both")
	case !is.Discovery && is.JWKSURI == "":
		v.add(p+".jwksURI", "required unless discovery is true")
	case is.JWKSURI != "":
		v.url(p+".jwksURI", is.JWKSURI, is.AllowHTTP)
	}
	if len(is.Audiences) == 0 {
		v.add(p+".audiences", "at least one audience is required")
	}
	v.list(p+".audiences", is.Audiences)
	for j, a := range is.Algorithms {
		ap := fmt.Sprintf("%s.algorithms[%d]", p, j)
		switch {
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			v.add(ap, fmt.Sprintf("symmetric algorithm %q is not accepted (HS/RS key confusion)", a))
		case !asymmetricAlgs[a]:
			v.add(ap, fmt.Sprintf("unsupported algorithm %q (want one of RS256..512, PS256..512, ES256..512, EdDSA)", a))
		}
	}
	v.nonEmpty(p+".userClaim", is.UserClaim)
	v.nonEmpty(p+".groupsClaim", is.GroupsClaim)
}

type validator struct{ errs []error }

func (v *validator) add(path, msg string) { v.errs = append(v.errs, FieldError{path, msg}) }

func (v *validator) nonEmpty(p, s string) {
	if s == "" {
		v.add(p, "must not be empty")
	}
}

func (v *validator) list(p string, l []string) {
	for i, s := range l {
		if strings.TrimSpace(s) == "" {
			v.add(fmt.Sprintf("%s[%d]", p, i), "must not be empty")
		}
	}
}

// plainPaths: each an absolute path that no normalisation changes, the
// only kind of prefix access.Compile's matches are right for.
func (v *validator) plainPaths(p string, l []string) {
	for i, s := range l {
		if !pathmatch.Plain(s) {
			v.add(fmt.Sprintf("%s[%d]", p, i), fmt.Sprintf("must be a plain absolute path prefix without dot-segments, //, %%-escapes, \\, ;, query or fragment (got %q)", s))
		}
	}
}

// hosts: each a host name (with an optional "*." or port), never a URL.
func (v *validator) hosts(p string, l []string) {
	for i, h := range l {
		if strings.TrimSpace(h) == "" || strings.Contains(h, "/") {
			v.add(fmt.Sprintf("%s[%d]", p, i), fmt.Sprintf("must be a host name without / (got %q)", h))
		}
	}
}

func (v *validator) configuredIssuers(p string, l []string, configured map[string]bool) {
	for i, is := range l {
		if !configured[is] {
			v.add(fmt.Sprintf("%s[%d]", p, i), fmt.Sprintf("%q is not one of issuers[].issuer", is))
		}
	}
}

func (v *validator) positive(p string, d Duration) {
	if d.Duration <= 0 {
		v.add(p, fmt.Sprintf("must be a positive duration (got %s)", d))
	}
}

func (v *validator) addr(p, a string, optional bool) {
	if a == "" {
		if !optional {
			v.add(p, "must not be empty")
		}
		return
	}
	if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
		v.add(p, fmt.Sprintf("must be host:port such as \":8080\" (got %q)", a))
	}
}

func (v *validator) url(p, s string, allowHTTP bool) {
	u, err := url.Parse(s)
	ok := err == nil && u.Host != "" && u.User == nil && (u.Scheme == "https" || (allowHTTP && u.Scheme == "http"))
	if ok {
		return
	}
	if allowHTTP {
		v.add(p, fmt.Sprintf("must be an http or https URL (got %q)", s))
	} else {
		v.add(p, fmt.Sprintf("must be an https URL (got %q)", s))
	}
}

func (v *validator) absPath(p, s string) {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "?#") {
		v.add(p, fmt.Sprintf("must be an absolute path (got %q)", s))
	}
}

func (v *validator) header(p, h string) {
	if !headerNameRE.MatchString(h) {
		v.add(p, fmt.Sprintf("not a valid HTTP header name (got %q)", h))
	}
}

func (v *validator) identityHeader(p, h string) {
	v.header(p, h)
	if reservedHeaders[strings.ToLower(h)] {
		v.add(p, fmt.Sprintf("%q is reserved and cannot carry identity", h))
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
