package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	jwtauthn "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	jose "github.com/go-jose/go-jose/v4"
)

type jwtConfig = *jwtauthn.JwtAuthentication

// jwtMetadata is the dynamic metadata namespace jwt_authn writes.
const jwtMetadata = "envoy.filters.http.jwt_authn"

// jwtStatus is Envoy's jwt_verify status; the text is Envoy's message.
type jwtStatus string

const (
	jwtOK               jwtStatus = ""
	jwtMissed           jwtStatus = "Jwt is missing"
	jwtBadFormat        jwtStatus = "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"
	jwtUnknownIssuer    jwtStatus = "Jwt issuer is not configured"
	jwtExpired          jwtStatus = "Jwt is expired"
	jwtNotYetValid      jwtStatus = "Jwt not yet valid"
	jwtAudience         jwtStatus = "Audiences in Jwt are not allowed"
	jwtVerifyFail       jwtStatus = "Jwt verification fails"
	jwtNoKey            jwtStatus = "Jwks doesn't have key to match kid or alg from Jwt"
	jwtJwksFetchFail    jwtStatus = "Jwks remote fetch is failed"
	jwtExpirationNeeded jwtStatus = "Jwt doesn't contain expiration time"
)

// The algorithms Envoy's jwt_verify_lib accepts.
var jwtAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.HS256, jose.HS384, jose.HS512, jose.EdDSA}

// jwtProvider is one JwtProvider, compiled.
type jwtProvider struct {
	name          string
	issuer        string
	audiences     []string
	forward       bool
	fromHeaders   []headerLoc
	fromParams    []string
	claimHeaders  [][2]string // header, claim
	payloadKey    string
	spaceClaims   []string
	skew          int64
	requireExp    bool
	maxLifetime   int64
	payloadHeader string
	local         *jose.JSONWebKeySet
	remote        *remoteJWKS
}

type headerLoc struct{ name, prefix string }

type remoteJWKS struct {
	g        *Gateway
	cluster  string
	uri      string
	timeout  time.Duration
	cacheFor time.Duration

	mu      sync.Mutex
	keys    *jose.JSONWebKeySet
	fetched time.Time
}

// requirement is a compiled JwtRequirement: it returns the verification
// status and, on success, applies the outputs to the stream.
type requirement func(ctx context.Context, s *stream, toks *tokenCache) jwtStatus

type jwtRule struct {
	match func(*stream) bool
	req   requirement // nil: no requirement
}

type jwtFilter struct {
	name       string
	providers  map[string]*jwtProvider
	rules      []jwtRule
	bypassCORS bool
	sanitize   []string
}

func (g *Gateway) compileJWT(where, name string, c *jwtauthn.JwtAuthentication) (*jwtFilter, []error) {
	errs := unimplemented(where, c, fieldRules{"providers": "", "rules": "", "bypass_cors_preflight": ""})
	f := &jwtFilter{name: name, providers: map[string]*jwtProvider{}, bypassCORS: c.GetBypassCorsPreflight()}
	var pnames []string
	for n := range c.GetProviders() {
		pnames = append(pnames, n)
	}
	sort.Strings(pnames)
	for _, n := range pnames {
		p, e := g.compileProvider(fmt.Sprintf("%s.providers[%s]", where, n), n, c.GetProviders()[n])
		errs = append(errs, e...)
		f.providers[n] = p
		for _, ch := range p.claimHeaders {
			f.sanitize = append(f.sanitize, ch[0])
		}
		if p.payloadHeader != "" {
			f.sanitize = append(f.sanitize, p.payloadHeader)
		}
	}
	for i, r := range c.GetRules() {
		rw := fmt.Sprintf("%s.rules[%d]", where, i)
		errs = append(errs, unimplemented(rw, r, fieldRules{"match": "", "requires": ""})...)
		m, e := compileRouteMatch(rw+".match", r.GetMatch())
		errs = append(errs, e...)
		var req requirement
		if r.GetRequires() != nil {
			var e []error
			req, e = f.compileRequirement(rw+".requires", r.GetRequires())
			errs = append(errs, e...)
		}
		f.rules = append(f.rules, jwtRule{match: m, req: req})
	}
	return f, errs
}

func (g *Gateway) compileProvider(where, name string, p *jwtauthn.JwtProvider) (*jwtProvider, []error) {
	errs := unimplemented(where, p, fieldRules{
		"issuer": "", "audiences": "", "forward": "", "from_headers": "", "from_params": "", "claim_to_headers": "",
		"payload_in_metadata": "", "normalize_payload_in_metadata": "", "clock_skew_seconds": "",
		"require_expiration": "", "max_lifetime": "", "forward_payload_header": "", "local_jwks": "", "remote_jwks": "",
		"clear_route_cache": "the route is chosen before the filters run and no route here matches on a JWT output",
	})
	jp := &jwtProvider{name: name, issuer: p.GetIssuer(), audiences: p.GetAudiences(), forward: p.GetForward(),
		fromParams: p.GetFromParams(), payloadKey: p.GetPayloadInMetadata(), skew: 60,
		requireExp: p.GetRequireExpiration(), payloadHeader: p.GetForwardPayloadHeader()}
	if p.GetClockSkewSeconds() != 0 {
		jp.skew = int64(p.GetClockSkewSeconds())
	}
	if d := p.GetMaxLifetime(); d != nil {
		jp.maxLifetime = int64(d.AsDuration().Seconds())
	}
	if n := p.GetNormalizePayloadInMetadata(); n != nil {
		errs = append(errs, unimplemented(where+".normalize_payload_in_metadata", n, fieldRules{"space_delimited_claims": ""})...)
		jp.spaceClaims = n.GetSpaceDelimitedClaims()
	}
	for i, h := range p.GetFromHeaders() {
		errs = append(errs, unimplemented(fmt.Sprintf("%s.from_headers[%d]", where, i), h, fieldRules{"name": "", "value_prefix": ""})...)
		jp.fromHeaders = append(jp.fromHeaders, headerLoc{h.GetName(), h.GetValuePrefix()})
	}
	if len(jp.fromHeaders) == 0 && len(jp.fromParams) == 0 && len(p.GetFromCookies()) == 0 {
		// Envoy's default locations.
		jp.fromHeaders = []headerLoc{{"Authorization", "Bearer "}}
		jp.fromParams = []string{"access_token"}
	}
	for i, ch := range p.GetClaimToHeaders() {
		errs = append(errs, unimplemented(fmt.Sprintf("%s.claim_to_headers[%d]", where, i), ch, fieldRules{"header_name": "", "claim_name": ""})...)
		jp.claimHeaders = append(jp.claimHeaders, [2]string{ch.GetHeaderName(), ch.GetClaimName()})
	}
	switch src := p.GetJwksSourceSpecifier().(type) {
	case *jwtauthn.JwtProvider_LocalJwks:
		ds := src.LocalJwks
		errs = append(errs, unimplemented(where+".local_jwks", ds, fieldRules{"inline_string": ""})...)
		var ks jose.JSONWebKeySet
		if err := json.Unmarshal([]byte(ds.GetInlineString()), &ks); err != nil {
			errs = append(errs, fmt.Errorf("%s.local_jwks: not a JWKS: %w", where, err))
		}
		jp.local = &ks
	case *jwtauthn.JwtProvider_RemoteJwks:
		r := src.RemoteJwks
		errs = append(errs, unimplemented(where+".remote_jwks", r, fieldRules{"http_uri": "", "cache_duration": "",
			"async_fetch": "keys are fetched on first use either way", "retry_policy": connection})...)
		hu := r.GetHttpUri()
		errs = append(errs, unimplemented(where+".remote_jwks.http_uri", hu, fieldRules{"uri": "", "cluster": "", "timeout": ""})...)
		if _, ok := g.clusters[hu.GetCluster()]; !ok {
			errs = append(errs, fmt.Errorf("%s.remote_jwks: cluster %q is not among the clusters istiod generated", where, hu.GetCluster()))
		}
		cache := 5 * time.Minute
		if d := r.GetCacheDuration(); d != nil {
			cache = d.AsDuration()
		}
		jp.remote = &remoteJWKS{g: g, cluster: hu.GetCluster(), uri: hu.GetUri(), timeout: hu.GetTimeout().AsDuration(), cacheFor: cache}
	default:
		errs = append(errs, fmt.Errorf("%s: no JWKS source", where))
	}
	return jp, errs
}

func (f *jwtFilter) compileRequirement(where string, r *jwtauthn.JwtRequirement) (requirement, []error) {
	switch t := r.GetRequiresType().(type) {
	case *jwtauthn.JwtRequirement_ProviderName:
		p, ok := f.providers[t.ProviderName]
		if !ok {
			return nil, []error{fmt.Errorf("%s: provider %q is not defined", where, t.ProviderName)}
		}
		return func(ctx context.Context, s *stream, tc *tokenCache) jwtStatus { return p.verify(ctx, s, tc) }, nil
	case *jwtauthn.JwtRequirement_AllowMissing:
		// Envoy's AllowMissingVerifier: a missing JWT, or one whose issuer
		// no provider of this requirement has, passes as "no JWT"; any
		// other failure fails. With no provider, only the outcome of the
		// other requirements of an any/all matters.
		return func(ctx context.Context, s *stream, tc *tokenCache) jwtStatus {
			for _, st := range tc.seen {
				if st != jwtOK && st != jwtMissed && st != jwtUnknownIssuer {
					return st
				}
			}
			return jwtOK
		}, nil
	case *jwtauthn.JwtRequirement_AllowMissingOrFailed:
		return func(context.Context, *stream, *tokenCache) jwtStatus { return jwtOK }, nil
	case *jwtauthn.JwtRequirement_RequiresAny:
		reqs, errs := compileEach(where+".requires_any", t.RequiresAny.GetRequirements(), f.compileRequirement)
		return func(ctx context.Context, s *stream, tc *tokenCache) jwtStatus {
			var first jwtStatus = jwtMissed
			set := false
			for _, rq := range reqs {
				st := rq(ctx, s, tc)
				if st == jwtOK {
					return jwtOK
				}
				if !set && st != jwtMissed && st != jwtUnknownIssuer {
					first, set = st, true
				} else if !set {
					first = st
				}
			}
			return first
		}, errs
	case *jwtauthn.JwtRequirement_RequiresAll:
		reqs, errs := compileEach(where+".requires_all", t.RequiresAll.GetRequirements(), f.compileRequirement)
		return func(ctx context.Context, s *stream, tc *tokenCache) jwtStatus {
			for _, rq := range reqs {
				if st := rq(ctx, s, tc); st != jwtOK {
					return st
				}
			}
			return jwtOK
		}, errs
	}
	return nil, []error{fmt.Errorf("%s: requirement %T is not implemented by internal/gateway", where, r.GetRequiresType())}
}

// tokenCache remembers each provider's outcome within one request, so a
// provider named by several requirements verifies once (as Envoy's
// verifier tree shares the authenticator per provider).
type tokenCache struct {
	seen map[string]jwtStatus
}

func (f *jwtFilter) decode(ctx context.Context, s *stream) *reply {
	// Envoy removes the headers this filter writes before anything else,
	// so a client cannot send them, whatever happens next.
	for _, h := range f.sanitize {
		s.header.Del(h)
	}
	if f.bypassCORS && s.method == http.MethodOptions && s.header.Get("Origin") != "" && s.header.Get("Access-Control-Request-Method") != "" {
		return nil
	}
	var req requirement
	matched := false
	for _, r := range f.rules {
		if r.match(s) {
			req, matched = r.req, true
			break
		}
	}
	if !matched || req == nil {
		return nil
	}
	tc := &tokenCache{seen: map[string]jwtStatus{}}
	st := req(ctx, s, tc)
	if st == jwtOK {
		return nil
	}
	s.log("jwt_authn %s: %s", f.name, st)
	code := http.StatusUnauthorized
	if st == jwtAudience {
		code = http.StatusForbidden
	}
	return &reply{status: code, body: []byte(st),
		header: http.Header{"Www-Authenticate": {`Bearer realm="` + s.scheme + "://" + s.authority + s.pathOnly() + `", error="invalid_token"`}}}
}

// jwtChars are the characters Envoy's extractor takes after value_prefix.
const jwtChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/"

// token finds the provider's JWT in the request (Envoy's extractor: the
// header value after value_prefix up to the first non-JWT character; then
// the query parameters).
func (p *jwtProvider) token(s *stream) (tok string, remove func(), ok bool) {
	for _, loc := range p.fromHeaders {
		vals := s.header.Values(loc.name)
		if len(vals) == 0 {
			continue
		}
		v := strings.Join(vals, ",")
		if loc.prefix != "" {
			i := strings.Index(v, loc.prefix)
			if i < 0 {
				continue
			}
			v = v[i+len(loc.prefix):]
			start := strings.IndexAny(v, jwtChars)
			if start < 0 {
				continue
			}
			v = v[start:]
			if end := strings.IndexFunc(v, func(r rune) bool { return !strings.ContainsRune(jwtChars, r) }); end >= 0 {
				v = v[:end]
			}
		}
		name := loc.name
		return v, func() { s.header.Del(name) }, true
	}
	if len(p.fromParams) > 0 {
		_, q, _ := strings.Cut(s.path, "?")
		vals, _ := url.ParseQuery(q)
		for _, name := range p.fromParams {
			if v := vals.Get(name); v != "" {
				return v, func() {}, true // Envoy leaves query parameters in place
			}
		}
	}
	return "", nil, false
}

func (p *jwtProvider) verify(ctx context.Context, s *stream, tc *tokenCache) jwtStatus {
	if st, ok := tc.seen[p.name]; ok {
		return st
	}
	st := p.verifyOnce(ctx, s)
	tc.seen[p.name] = st
	return st
}

// verifyOnce verifies the request's token against the provider, once per
// stream, in Envoy's jwt_authn order: extract, parse, issuer, audience,
// time, key, outputs.
func (p *jwtProvider) verifyOnce(ctx context.Context, s *stream) jwtStatus {
	tok, remove, ok := p.token(s)
	if !ok {
		return jwtMissed
	}
	jws, payload, claims, st := parseJWT(tok)
	if st != jwtOK {
		return st
	}
	iss, _ := claims["iss"].(string)
	if p.issuer != "" && iss != p.issuer {
		return jwtUnknownIssuer
	}
	if !p.audienceOK(claims) {
		return jwtAudience
	}
	if st := p.timeStatus(claims, s.g.opts.Now().Unix()); st != jwtOK {
		return st
	}
	if st := p.signature(ctx, jws); st != jwtOK {
		return st
	}
	p.outputs(s, payload, claims)
	if !p.forward {
		remove()
	}
	s.log("jwt_authn: %s verified (iss %q, sub %v)", p.name, iss, claims["sub"])
	return jwtOK
}

// parseJWT is the token's one signature, its payload and the claims in it.
func parseJWT(tok string) (*jose.JSONWebSignature, []byte, map[string]any, jwtStatus) {
	jws, err := jose.ParseSigned(tok, jwtAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, nil, nil, jwtBadFormat
	}
	payload := jws.UnsafePayloadWithoutVerification()
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, nil, nil, jwtBadFormat
	}
	return jws, payload, claims, jwtOK
}

// audienceOK: one of the token's audiences is the provider's, or the
// provider names none.
func (p *jwtProvider) audienceOK(claims map[string]any) bool {
	if len(p.audiences) == 0 {
		return true
	}
	for _, a := range claimStrings(claims["aud"]) {
		for _, want := range p.audiences {
			if a == want {
				return true
			}
		}
	}
	return false
}

// timeStatus checks nbf and exp at now, within the clock skew.
func (p *jwtProvider) timeStatus(claims map[string]any, now int64) jwtStatus {
	exp, hasExp := claims["exp"].(float64)
	if nbf, ok := claims["nbf"].(float64); ok && float64(now+p.skew) < nbf {
		return jwtNotYetValid
	}
	if hasExp && float64(now-p.skew) >= exp {
		return jwtExpired
	}
	if !hasExp && (p.requireExp || p.maxLifetime > 0) {
		return jwtExpirationNeeded
	}
	return jwtOK
}

// signature verifies jws with a key of the provider's set that matches
// its kid and alg.
func (p *jwtProvider) signature(ctx context.Context, jws *jose.JSONWebSignature) jwtStatus {
	keys, st := p.keys(ctx)
	if st != jwtOK {
		return st
	}
	hdr := jws.Signatures[0].Header
	candidate := false
	for _, k := range keys.Keys {
		if hdr.KeyID != "" && k.KeyID != "" && k.KeyID != hdr.KeyID {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
			continue
		}
		candidate = true
		if _, err := jws.Verify(k.Key); err == nil {
			return jwtOK
		}
	}
	if !candidate {
		return jwtNoKey
	}
	return jwtVerifyFail
}

// outputs are a verified token's claim headers, payload header and
// payload metadata.
func (p *jwtProvider) outputs(s *stream, payload []byte, claims map[string]any) {
	for _, ch := range p.claimHeaders {
		if v, ok := claimHeaderValue(claims, ch[1]); ok {
			s.header.Set(ch[0], v)
		}
	}
	if p.payloadHeader != "" {
		s.header.Set(p.payloadHeader, base64.RawURLEncoding.EncodeToString(payload))
	}
	if p.payloadKey != "" {
		md := s.meta[jwtMetadata]
		if md == nil {
			md = map[string]any{}
			s.meta[jwtMetadata] = md
		}
		md[p.payloadKey] = p.normalize(claims)
	}
}

// normalize splits the space-delimited claims into lists, for metadata.
func (p *jwtProvider) normalize(claims map[string]any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		out[k] = v
	}
	for _, c := range p.spaceClaims {
		if s, ok := out[c].(string); ok {
			var l []any
			for _, f := range strings.Fields(s) {
				l = append(l, f)
			}
			out[c] = l
		}
	}
	return out
}

func (p *jwtProvider) keys(ctx context.Context) (*jose.JSONWebKeySet, jwtStatus) {
	if p.local != nil {
		return p.local, jwtOK
	}
	return p.remote.get(ctx)
}

func (r *remoteJWKS) get(ctx context.Context) (*jose.JSONWebKeySet, jwtStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys != nil && r.g.opts.Now().Sub(r.fetched) < r.cacheFor {
		return r.keys, jwtOK
	}
	u, err := r.g.cluster(r.cluster)
	if err != nil {
		return nil, jwtJwksFetchFail
	}
	pu, err := url.Parse(r.uri)
	if err != nil {
		return nil, jwtJwksFetchFail
	}
	timeout := r.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+u.addr+pu.RequestURI(), nil)
	if err != nil {
		return nil, jwtJwksFetchFail
	}
	req.Host = pu.Host
	resp, err := r.g.client.Do(req)
	if err != nil {
		return nil, jwtJwksFetchFail
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ks jose.JSONWebKeySet
	if err != nil || resp.StatusCode != 200 || json.Unmarshal(b, &ks) != nil {
		return nil, jwtJwksFetchFail
	}
	r.keys, r.fetched = &ks, r.g.opts.Now()
	return r.keys, jwtOK
}

func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// claimHeaderValue is Envoy's claim_to_headers rendering: strings, numbers
// and booleans verbatim; arrays and objects as base64 of their JSON. A
// claim name with dots reaches into nested objects.
func claimHeaderValue(claims map[string]any, name string) (string, bool) {
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = obj[part]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10), true
		}
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case []any, map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		return base64.StdEncoding.EncodeToString(b), true
	}
	return "", false
}
