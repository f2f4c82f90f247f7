package checkserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"meshauth.dev/meshauth/checkserver/access"
	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/cache"
	"meshauth.dev/meshauth/checkserver/config"
	"meshauth.dev/meshauth/checkserver/jwtauth"
	"meshauth.dev/meshauth/checkserver/pathmatch"
	"meshauth.dev/meshauth/checkserver/session"
	"meshauth.dev/meshauth/checkserver/tokenreview"
)

// Checker makes check decisions. It is safe for concurrent use.
type Checker struct {
	cfg   config.Config
	skip  *pathmatch.Matcher
	deny  *denyShaper
	ids   *identityMapper
	strip []string
	// The removal lists of an allow, computed once: a header the allow
	// sets must not also be removed (Envoy removes after it sets).
	stripButUser, stripButBoth []string
	jwt                        *jwtauth.Verifier
	tokenReview                *tokenreview.Guard
	session                    *session.Client
	cache                      *cache.LRU
	// sessions caches oauth2-proxy's allows by session-cookie hash.
	sessions *cache.LRU
	signOut  map[string]bool
	// access judges authenticated requests, nil without a policy; claims
	// are the ones it reads (sessions then need a verifiable ID token).
	access  *access.Decider
	claims  []string
	metrics *Metrics
	log     *slog.Logger
}

// NewChecker builds a Checker from a validated config. Key sets are not
// fetched until Run.
func NewChecker(cfg config.Config, m *Metrics, log *slog.Logger) (*Checker, error) {
	cfg = cfg.WithDefaults()
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if m == nil {
		m = NewMetrics()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Checker{
		cfg:     cfg,
		skip:    pathmatch.NewMatcher(cfg.SkipAuthPaths),
		deny:    &denyShaper{},
		metrics: m,
		log:     log,
		strip:   stripList(stripNames(cfg.Identity)...),
		cache:   cache.New(cfg.Cache.Size, cfg.Cache.MaxTTL.Duration),
	}
	if cfg.Access.Enabled() {
		c.access, c.claims = access.NewDecider(cfg.Access), cfg.Access.ClaimNames()
	}
	c.stripButUser = without(c.strip, cfg.Identity.UserHeader)
	c.stripButBoth = without(c.strip, cfg.Identity.UserHeader, cfg.Identity.GroupsHeader)
	for _, r := range cfg.APIRoutes {
		c.deny.apiRoutes = append(c.deny.apiRoutes, regexp.MustCompile(r))
	}
	var err error
	if c.ids, err = newIdentityMapper(cfg.Identity); err != nil {
		return nil, err
	}
	c.jwt, err = jwtauth.New(jwtauth.Options{Issuers: cfg.Issuers, JWKS: cfg.JWKS, Leeway: cfg.Leeway.Duration,
		OnFetch: m.jwksFetch, OnKeys: c.revoke, Claims: c.claims})
	if err != nil {
		return nil, err
	}
	if cfg.Kubernetes.TokenReview.Enabled {
		trc, err := tokenreview.New(cfg.Kubernetes.TokenReview)
		if err != nil {
			return nil, err
		}
		c.tokenReview = tokenreview.NewGuard(trc, cfg.Kubernetes.TokenReview, max(cfg.Cache.Size, 1000))
		c.tokenReview.OnResult = m.tokenReview
	}
	if cfg.OAuth2Proxy.URL != "" {
		c.session = session.New(cfg.OAuth2Proxy)
		c.deny.signInPath = cfg.OAuth2Proxy.SignInPath
		c.sessions = cache.New(cfg.OAuth2Proxy.SessionCache.Size, cfg.OAuth2Proxy.SessionCache.TTL.Duration)
		c.signOut = map[string]bool{}
		for _, p := range cfg.OAuth2Proxy.SignOutPaths {
			c.signOut[p] = true
		}
	}
	return c, nil
}

// revoke evicts cached tokens of issuer verified with a key no longer in
// its JWKS: a key removed by the issuer stops working at the next refresh
// for cached tokens as well as fresh ones.
func (c *Checker) revoke(issuer string, refs map[string]bool) {
	if n := c.cache.EvictIf(func(id authn.Identity) bool {
		return id.Issuer == issuer && id.KeyRef != "" && !refs[id.KeyRef]
	}); n > 0 {
		c.log.Info("evicted cached tokens signed by keys removed from the JWKS", "issuer", issuer, "tokens", n)
	}
}

// Run starts background JWKS refreshing until ctx ends.
func (c *Checker) Run(ctx context.Context) { c.jwt.Run(ctx) }

// Ready reports whether every required issuer has keys.
func (c *Checker) Ready() bool { return c.jwt.Ready() }

// Sessions exposes the session cache (tests set its clock).
func (c *Checker) Sessions() *cache.LRU { return c.sessions }

// TokenReview exposes the guarded TokenReview client, nil when disabled.
func (c *Checker) TokenReview() *tokenreview.Guard { return c.tokenReview }

// Check decides one request, records metrics and logs the outcome.
func (c *Checker) Check(ctx context.Context, protocol string, r *Request) Decision {
	start := time.Now()
	d := c.decide(ctx, r)
	c.metrics.observe(protocol, d, time.Since(start))
	// Logs carry the path without its query (queries can hold tokens) and
	// never a header value.
	path, _, _ := strings.Cut(r.Path, "?")
	lvl := slog.LevelInfo
	if d.Allow {
		lvl = slog.LevelDebug
	}
	if c.log.Enabled(ctx, lvl) {
		c.log.LogAttrs(ctx, lvl, "check", slog.String("protocol", protocol), slog.String("result", d.Result),
			slog.String("authMethod", d.AuthMethod), slog.Int("status", d.Status), slog.String("reason", d.Reason),
			slog.String("user", d.User), slog.String("method", r.Method), slog.String("path", path))
	}
	return d
}

func (c *Checker) decide(ctx context.Context, r *Request) Decision {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if c.session != nil && len(c.signOut) > 0 {
		c.dropSessionOnSignOut(r)
	}
	// Skip-auth and public paths are allowed without credentials, but
	// identity headers are still stripped: an unauthenticated request must
	// not carry one.
	if c.public(r) {
		return Decision{Allow: true, Status: http.StatusOK, Remove: c.strip, Result: ResultSkip, AuthMethod: "none"}
	}
	token, present, err := bearerToken(r.Header, c.cfg.MaxTokenBytes)
	if err != nil {
		return c.failed(r, "bearer", err, true)
	}
	if present {
		id, err := c.authenticateBearer(ctx, token)
		if err != nil {
			return c.failed(r, "bearer", err, true)
		}
		return c.allow(r, id, nil)
	}
	if c.machineHost(r) {
		return noMachineToken()
	}
	if c.session != nil {
		s, err := c.session.Parse(r.Header)
		if err != nil {
			return c.failed(r, "cookie", err, false)
		}
		if s.Present {
			return c.authenticateSession(ctx, r, s)
		}
	}
	d := c.deny.unauthenticated(r, false)
	d.Result, d.AuthMethod, d.Reason = ResultUnauthenticated, "none", "no credentials"
	return d
}

// authenticateBearer consults the cache, then the JWT verifier for
// configured issuers, then TokenReview for other issuers.
func (c *Checker) authenticateBearer(ctx context.Context, token string) (authn.Identity, error) {
	key := cache.KeyOf(token)
	if id, ok := c.cache.Get(key); ok {
		c.metrics.cacheHits.Inc()
		return id, nil
	}
	c.metrics.cacheMisses.Inc()
	p, err := jwtauth.Parse(token)
	if err != nil {
		return authn.Identity{}, err
	}
	var id authn.Identity
	var ttl time.Duration
	switch {
	case c.jwt.Handles(p.Issuer()):
		if id, err = c.jwt.Verify(ctx, p); err != nil {
			return authn.Identity{}, err
		}
	case c.tokenReview != nil:
		if id, err = c.tokenReview.Review(ctx, token, key); err != nil {
			return authn.Identity{}, err
		}
		// The API server vouched for the token, so its exp bounds the cache
		// entry; tokens without exp (legacy secrets) get cacheTTL only.
		id.Expiry = p.Expiry()
		id.Claims = c.reviewedClaims(id.Groups)
		ttl = c.cfg.Kubernetes.TokenReview.CacheTTL.Duration
	default:
		return authn.Identity{}, authn.Invalid("token issuer is not trusted")
	}
	c.cache.Put(key, id, ttl)
	return id, nil
}

// authenticateSession answers from the session cache or asks oauth2-proxy.
// Only a plain allow is cached: never a deny, and never an answer that
// refreshed the cookie (the browser is about to send the new one, and the
// old one must keep going to oauth2-proxy until then). The cached identity
// holds the ID token's claims, so a hit is judged as the miss was.
func (c *Checker) authenticateSession(ctx context.Context, r *Request, s session.Session) Decision {
	if id, ok := c.sessions.Get(s.Key); ok {
		c.metrics.sessionHits.Inc()
		return c.allow(r, id, nil)
	}
	c.metrics.sessionMisses.Inc()
	res, err := c.session.Authenticate(ctx, s)
	if err != nil {
		return c.failed(r, "cookie", err, false)
	}
	id, refused := c.withIDToken(ctx, r, res.Identity, res.IDToken)
	if refused != nil {
		return *refused
	}
	d := c.allow(r, id, res.SetCookie)
	if d.Allow && len(res.SetCookie) == 0 {
		c.sessions.Put(s.Key, id, 0)
	}
	return d
}

// dropSessionOnSignOut forgets the request's session on a sign-out path
// (before the skip rule: oauth2-proxy's sign-out is a skip path), so this
// replica stops honouring it at once; others hold it for at most the TTL.
func (c *Checker) dropSessionOnSignOut(r *Request) {
	p, _, _ := strings.Cut(r.Path, "?")
	if !c.signOut[p] {
		return
	}
	if s, err := c.session.Parse(r.Header); err == nil && s.Present {
		c.sessions.Delete(s.Key)
	}
}

// allow judges the identity by the access policy, maps it and builds the
// allow (or a 403/401 if either fails). The policy goes first: its 403
// names the rule, where mapping would refuse some identities (a group with
// a comma) with a vaguer 401.
func (c *Checker) allow(r *Request, id authn.Identity, setCookie []string) Decision {
	if d, ok := c.judge(r, id); !ok {
		return d
	}
	m, err := c.ids.mapIdentity(id)
	if err != nil {
		d := c.failed(r, id.Method, err, id.Method != "cookie")
		d.User = m.user
		return d
	}
	idc := c.cfg.Identity
	d := Decision{Allow: true, Status: http.StatusOK, Result: ResultAllow, AuthMethod: id.Method, User: m.user,
		Upstream: []Header{{idc.UserHeader, m.user}}}
	if m.groups != "" {
		d.Upstream = append(d.Upstream, Header{idc.GroupsHeader, m.groups})
		d.Remove = c.stripButBoth
	} else {
		d.Remove = c.stripButUser
	}
	for _, sc := range setCookie {
		d.Downstream = append(d.Downstream, Header{"Set-Cookie", sc})
	}
	return d
}

// failed maps an authentication error to a deny. Unknown errors are treated
// as unavailable: fail closed, never open.
func (c *Checker) failed(r *Request, method string, err error, bearer bool) Decision {
	var d Decision
	switch {
	case errors.Is(err, authn.ErrInvalid):
		d = c.deny.unauthenticated(r, bearer)
		d.Result = ResultInvalid
	case errors.Is(err, authn.ErrForbidden):
		d = Decision{Status: http.StatusForbidden, Body: "forbidden\n", Result: ResultForbidden}
	default:
		d = Decision{Status: http.StatusServiceUnavailable, Body: "authentication backend unavailable\n",
			Result: ResultUnavailable, Downstream: []Header{{"Retry-After", "5"}}}
	}
	d.AuthMethod, d.Reason = method, authn.Reason(err)
	return d
}
