package e2e

// The front: a same-origin stand-in for the Istio ingress gateway (Envoy does
// not run here). It is driven only by the emitted objects — the mesh config's
// envoyExtAuthzHttp provider, the gateway's AuthorizationPolicies and
// RequestAuthentications, and the VirtualServices — and applies them in the
// order the gateway does:
//
//  1. CUSTOM AuthorizationPolicy → ext_authz HTTP check (Envoy's rules, as in
//     ../shared/NOTES.md and the Istio MeshConfig reference):
//     - the check request carries the method, pathPrefix + path (with query),
//     Host, Content-Length: 0, Authorization, and the client headers matching
//     includeRequestHeadersInCheck (exact, "prefix*", "*suffix"), plus
//     includeAdditionalHeadersInCheck; no body;
//     - only 200 allows: headers matching headersToUpstreamOnAllow overwrite the
//     request's; names listed in x-envoy-auth-headers-to-remove are removed
//     from it; headers matching headersToDownstreamOnAllow go to the client;
//     - a network error, a timeout (provider timeout) or a 5xx is an error:
//     failOpen allows unmodified, otherwise statusOnError (default 403);
//     - any other status is a deny passed to the client with the check's
//     body and the headers matching headersToDownstreamOnDeny (all but Host
//     when the list is empty; Path, Status, Content-Length, WWW-Authenticate
//     and Location always);
//  2. jwt_authn (RequestAuthentication): every outputClaimToHeaders header is
//     removed from the request first (Envoy's extractor sanitizes them); a
//     token from an unknown issuer or one
//     that fails verification (signature against the issuer's JWKS — jwksUri,
//     or OIDC discovery when unset —, exp/nbf with 60 s skew, audiences when
//     listed) → 401; no token → anonymous; a valid token sets the request
//     principal "iss/sub", copies outputClaimToHeaders (lists as base64 of
//     their JSON, as Envoy's claim_to_headers does), and is removed from
//     the request unless forwardOriginalToken (Istio runs ext_authz before
//     RequestAuthentication, so claims overwrite what ext_authz set);
//  3. DENY AuthorizationPolicies → 403 "RBAC: access denied";
//  4. ALLOW AuthorizationPolicies, when any → 403 unless one matches;
//  5. VirtualService routes attached to the gateway, first match wins:
//     redirect, direct response, or rewrite + header operations + proxy to
//     the destination service (resolved through the harness's registry of
//     Service FQDN:port → 127.0.0.1 address).
//
// Anything in those objects the front does not implement makes newFront fail,
// so the front never silently diverges from what the gateway would do.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
)

// gatewayConfig is what newFront is driven by, all decoded from emitted objects
// (plus the stand-ins listed in overrides_test.go).
type gatewayConfig struct {
	gatewayName string // "namespace/name" the VirtualServices must attach to
	providers   map[string]*meshv1alpha1.MeshConfig_ExtensionProvider
	policies    []namedPolicy
	requestAuth []namedRequestAuth
	vservices   []namedVS
	registry    map[string]string // "fqdn:port" → "127.0.0.1:port"
}

type namedPolicy struct {
	name string
	spec *security.AuthorizationPolicy
}

type namedRequestAuth struct {
	name string
	spec *security.RequestAuthentication
}

type namedVS struct {
	namespace, name string
	spec            *networking.VirtualService
}

type front struct {
	cfg      gatewayConfig
	lg       *logs
	custom   *meshv1alpha1.MeshConfig_ExtensionProvider_EnvoyExternalAuthorizationHttpProvider
	customAP []namedPolicy
	deny     []namedPolicy
	allow    []namedPolicy
	jwtRules []*security.JWTRule
	routes   []vsRoute
	client   *http.Client

	mu   sync.Mutex
	jwks map[string][]jwk // issuer → keys
}

type vsRoute struct {
	vs    namedVS
	route *networking.HTTPRoute
}

func newFront(cfg gatewayConfig, lg *logs) (*front, error) {
	f := &front{cfg: cfg, lg: lg, jwks: map[string][]jwk{},
		client: &http.Client{
			Transport:     &http.Transport{Proxy: nil, DisableCompression: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	var errs []error
	for _, p := range cfg.policies {
		switch p.spec.GetAction() {
		case security.AuthorizationPolicy_CUSTOM:
			name := p.spec.GetProvider().GetName()
			prov, ok := cfg.providers[name]
			if !ok {
				errs = append(errs, fmt.Errorf("AuthorizationPolicy %s: CUSTOM provider %q is not an extensionProvider of the mesh config", p.name, name))
				continue
			}
			h := prov.GetEnvoyExtAuthzHttp()
			if h == nil {
				errs = append(errs, fmt.Errorf("extensionProvider %q is not envoyExtAuthzHttp (the front implements the HTTP protocol only)", name))
				continue
			}
			if f.custom != nil && f.custom != h {
				errs = append(errs, fmt.Errorf("more than one CUSTOM provider on the gateway (Istio allows one per workload)"))
			}
			if h.GetIncludeRequestBodyInCheck() != nil {
				errs = append(errs, fmt.Errorf("extensionProvider %q: includeRequestBodyInCheck is not implemented by the front", name))
			}
			f.custom = h
			f.customAP = append(f.customAP, p)
		case security.AuthorizationPolicy_DENY:
			f.deny = append(f.deny, p)
		case security.AuthorizationPolicy_ALLOW:
			f.allow = append(f.allow, p)
		default:
			errs = append(errs, fmt.Errorf("AuthorizationPolicy %s: action %v not implemented", p.name, p.spec.GetAction()))
		}
		for _, r := range p.spec.GetRules() {
			if err := checkRuleSupported(r); err != nil {
				errs = append(errs, fmt.Errorf("AuthorizationPolicy %s: %w", p.name, err))
			}
		}
	}
	for _, ra := range cfg.requestAuth {
		for _, r := range ra.spec.GetJwtRules() {
			if r.GetJwks() != "" || r.GetOutputPayloadToHeader() != "" || len(r.GetSpaceDelimitedClaims()) > 0 {
				errs = append(errs, fmt.Errorf("RequestAuthentication %s: jwks/outputPayloadToHeader/spaceDelimitedClaims not implemented by the front", ra.name))
			}
			f.jwtRules = append(f.jwtRules, r)
		}
	}
	// Routes of the VirtualServices bound to the gateway, in order; a
	// VirtualService with a catch-all route goes last (Istio merges gateway
	// VirtualServices of one host; the dashboard's catch-all must not shadow
	// /oauth2/ — Kubeflow relies on the same).
	var vss, catchAll []namedVS
	for _, vs := range cfg.vservices {
		if !slices.Contains(vs.spec.GetGateways(), cfg.gatewayName) {
			continue
		}
		if hasCatchAll(vs.spec) {
			catchAll = append(catchAll, vs)
		} else {
			vss = append(vss, vs)
		}
	}
	for _, vs := range append(vss, catchAll...) {
		for _, r := range vs.spec.GetHttp() {
			if err := checkRouteSupported(r); err != nil {
				errs = append(errs, fmt.Errorf("VirtualService %s/%s: %w", vs.namespace, vs.name, err))
			}
			f.routes = append(f.routes, vsRoute{vs: vs, route: r})
		}
	}
	return f, errors.Join(errs...)
}

func hasCatchAll(vs *networking.VirtualService) bool {
	for _, r := range vs.GetHttp() {
		if len(r.GetMatch()) == 0 {
			return true
		}
		for _, m := range r.GetMatch() {
			if p, ok := m.GetUri().GetMatchType().(*networking.StringMatch_Prefix); ok && p.Prefix == "/" {
				return true
			}
		}
	}
	return false
}

func checkRuleSupported(r *security.Rule) error {
	for _, fr := range r.GetFrom() {
		s := fr.GetSource()
		if len(s.GetPrincipals())+len(s.GetNotPrincipals())+len(s.GetNamespaces())+len(s.GetNotNamespaces())+
			len(s.GetIpBlocks())+len(s.GetNotIpBlocks())+len(s.GetRemoteIpBlocks())+len(s.GetNotRemoteIpBlocks())+
			len(s.GetServiceAccounts())+len(s.GetNotServiceAccounts()) > 0 {
			return fmt.Errorf("rule source %v: only requestPrincipals/notRequestPrincipals are implemented by the front", s)
		}
	}
	for _, to := range r.GetTo() {
		if o := to.GetOperation(); len(o.GetPorts())+len(o.GetNotPorts()) > 0 {
			return fmt.Errorf("rule operation ports are not implemented by the front")
		}
	}
	for _, c := range r.GetWhen() {
		if _, ok := conditionKey(c.GetKey()); !ok {
			return fmt.Errorf("condition key %q is not implemented by the front", c.GetKey())
		}
	}
	return nil
}

func checkRouteSupported(r *networking.HTTPRoute) error {
	if r.GetDelegate() != nil || r.GetFault() != nil || r.GetMirror() != nil || len(r.GetMirrors()) > 0 || r.GetCorsPolicy() != nil {
		return fmt.Errorf("route %q uses delegate/fault/mirror/corsPolicy, not implemented by the front", r.GetName())
	}
	for _, m := range r.GetMatch() {
		if len(m.GetHeaders())+len(m.GetQueryParams())+len(m.GetWithoutHeaders())+len(m.GetSourceLabels()) > 0 ||
			m.GetAuthority() != nil || m.GetScheme() != nil || m.GetPort() != 0 || len(m.GetGateways()) > 0 {
			return fmt.Errorf("route %q: match %v uses fields not implemented by the front (uri, method only)", r.GetName(), m)
		}
	}
	if rw := r.GetRewrite(); rw != nil && rw.GetUriRegexRewrite() != nil {
		return fmt.Errorf("route %q: uriRegexRewrite not implemented by the front", r.GetName())
	}
	if rd := r.GetRedirect(); rd != nil && rd.GetRedirectPort() != nil {
		return fmt.Errorf("route %q: redirect port not implemented by the front", r.GetName())
	}
	return nil
}

// reqState is the request as it moves through the filters.
type reqState struct {
	method, path, query, host string
	scheme                    string // https when the front's listener is TLS (the browser e2e)
	header                    http.Header
	principal                 string
	claims                    map[string]any
	respHeader                http.Header // added to the client response (headersToDownstreamOnAllow)
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := &reqState{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, host: r.Host,
		header: r.Header.Clone(), respHeader: http.Header{}}
	st.scheme = "http"
	if r.TLS != nil {
		st.scheme = "https"
	}
	// Envoy on a gateway sets these; oauth2-proxy and check-server read them.
	st.header.Set("X-Forwarded-Proto", st.scheme)
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		st.header.Set("X-Forwarded-For", ip)
	}
	st.header.Del("Connection")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	log := func(format string, args ...any) {
		f.lg.printf("front", "%s %s: "+format, append([]any{r.Method, r.URL.RequestURI()}, args...)...)
	}

	// 1. CUSTOM → ext_authz
	if f.custom != nil && f.matchAny(f.customAP, st) {
		if done := f.extAuthz(w, r.Context(), st, log); done {
			return
		}
	}
	// 2. RequestAuthentication → jwt_authn
	if err := f.jwtAuthn(r.Context(), st); err != nil {
		log("jwt_authn: 401 %v", err)
		w.Header().Set("www-authenticate", `Bearer realm="`+st.scheme+"://"+r.Host+r.URL.Path+`", error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "Jwt verification fails")
		return
	}
	// 3./4. DENY and ALLOW
	if f.matchAny(f.deny, st) || (len(f.allow) > 0 && !f.matchAny(f.allow, st)) {
		log("rbac: 403 (principal %q)", st.principal)
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "RBAC: access denied")
		return
	}
	// 5. VirtualService routes
	f.route(w, r.Context(), st, body, log)
}

// extAuthz performs the ext_authz HTTP check; it returns true when it has
// answered the client (deny or error).
func (f *front) extAuthz(w http.ResponseWriter, ctx context.Context, st *reqState, log func(string, ...any)) bool {
	p := f.custom
	addr, err := f.resolve(p.GetService(), p.GetPort(), "")
	timeout := 600 * time.Second
	if d := p.GetTimeout(); d != nil {
		timeout = d.AsDuration()
	}
	fail := func(why string) bool {
		if p.GetFailOpen() {
			log("ext_authz error (%s): failOpen → allow", why)
			return false
		}
		code := 403
		if s := p.GetStatusOnError(); s != "" {
			code, _ = strconv.Atoi(s)
		}
		log("ext_authz error (%s): %d", why, code)
		w.WriteHeader(code)
		return true
	}
	if err != nil {
		return fail(err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target := "http://" + addr + p.GetPathPrefix() + st.path
	if st.query != "" {
		target += "?" + st.query
	}
	creq, err := http.NewRequestWithContext(ctx, st.method, target, nil)
	if err != nil {
		return fail(err.Error())
	}
	creq.Host = st.host
	creq.ContentLength = 0
	for name, vals := range st.header {
		if strings.EqualFold(name, "Authorization") || headerListed(p.GetIncludeRequestHeadersInCheck(), name) ||
			headerListed(p.GetIncludeHeadersInCheck(), name) {
			creq.Header[name] = slices.Clone(vals)
		}
	}
	for k, v := range p.GetIncludeAdditionalHeadersInCheck() {
		creq.Header.Set(k, v)
	}
	resp, err := f.client.Do(creq)
	if err != nil {
		return fail(err.Error())
	}
	defer resp.Body.Close()
	rbody, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusOK:
		var set []string
		for name, vals := range resp.Header {
			if headerListed(p.GetHeadersToUpstreamOnAllow(), name) {
				st.header[name] = slices.Clone(vals)
				set = append(set, name)
			}
			if headerListed(p.GetHeadersToDownstreamOnAllow(), name) {
				st.respHeader[name] = slices.Clone(vals)
			}
		}
		for _, v := range resp.Header.Values("X-Envoy-Auth-Headers-To-Remove") {
			for _, h := range strings.Split(v, ",") {
				if h = strings.TrimSpace(h); h != "" {
					st.header.Del(h)
				}
			}
		}
		slices.Sort(set)
		log("ext_authz 200: allow, upstream headers set %v", set)
		return false
	case resp.StatusCode >= 500:
		return fail(resp.Status)
	default:
		always := []string{"Path", "Status", "Content-Length", "Www-Authenticate", "Location"}
		for name, vals := range resp.Header {
			if strings.EqualFold(name, "Host") || strings.EqualFold(name, "Content-Length") {
				continue
			}
			if len(p.GetHeadersToDownstreamOnDeny()) == 0 || headerListed(p.GetHeadersToDownstreamOnDeny(), name) ||
				slices.ContainsFunc(always, func(a string) bool { return strings.EqualFold(a, name) }) {
				w.Header()[name] = slices.Clone(vals)
			}
		}
		log("ext_authz %d: deny (Location %q)", resp.StatusCode, resp.Header.Get("Location"))
		w.WriteHeader(resp.StatusCode)
		w.Write(rbody)
		return true
	}
}

// headerListed matches a header name against an Istio header list: exact,
// "prefix*", "*suffix", case-insensitive.
func headerListed(list []string, name string) bool {
	name = strings.ToLower(name)
	for _, p := range list {
		p = strings.ToLower(p)
		switch {
		case p == name:
			return true
		case strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimSuffix(p, "*")):
			return true
		case strings.HasPrefix(p, "*") && strings.HasSuffix(name, strings.TrimPrefix(p, "*")):
			return true
		}
	}
	return false
}

// jwtAuthn emulates Envoy's jwt_authn as Istio configures it from
// RequestAuthentication: "requires any of the providers, or allow missing".
func (f *front) jwtAuthn(ctx context.Context, st *reqState) error {
	type found struct {
		rule  *security.JWTRule
		token string
		drop  func()
	}
	var tokens []found
	for _, rule := range f.jwtRules {
		hdrs := rule.GetFromHeaders()
		params := rule.GetFromParams()
		if len(hdrs) == 0 && len(params) == 0 && len(rule.GetFromCookies()) == 0 {
			hdrs = []*security.JWTHeader{{Name: "Authorization", Prefix: "Bearer "}}
			params = []string{"access_token"}
		}
		for _, h := range hdrs {
			v := st.header.Get(h.GetName())
			if v == "" || !strings.HasPrefix(v, h.GetPrefix()) {
				continue
			}
			name := h.GetName()
			tokens = append(tokens, found{rule, strings.TrimPrefix(v, h.GetPrefix()), func() { st.header.Del(name) }})
		}
		q, _ := url.ParseQuery(st.query)
		for _, p := range params {
			if v := q.Get(p); v != "" {
				tokens = append(tokens, found{rule, v, func() {}})
			}
		}
		for _, c := range rule.GetFromCookies() {
			r := &http.Request{Header: st.header}
			if ck, err := r.Cookie(c); err == nil && ck.Value != "" {
				tokens = append(tokens, found{rule, ck.Value, func() {}})
			}
		}
	}
	// Envoy's extractor removes every header a provider writes
	// (claim_to_headers, forward_payload_header) from every request before
	// verification, so a client cannot send them itself.
	for _, rule := range f.jwtRules {
		for _, c := range rule.GetOutputClaimToHeaders() {
			st.header.Del(c.GetHeader())
		}
	}
	if len(tokens) == 0 {
		return nil // anonymous: the DENY policy decides
	}
	var errs []error
	for _, tk := range tokens {
		claims, err := parseJWTUnverified(tk.token)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if iss, _ := claims["iss"].(string); iss != tk.rule.GetIssuer() {
			errs = append(errs, fmt.Errorf("issuer %q is not %q", iss, tk.rule.GetIssuer()))
			continue
		}
		keys, err := f.keysFor(ctx, tk.rule)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := verifyJWT(tk.token, keys, tk.rule.GetAudiences(), time.Now()); err != nil {
			errs = append(errs, err)
			continue
		}
		sub, _ := claims["sub"].(string)
		st.principal = tk.rule.GetIssuer() + "/" + sub
		st.claims = claims
		for _, c := range tk.rule.GetOutputClaimToHeaders() {
			if v, ok := claimString(claims[c.GetClaim()]); ok {
				st.header.Set(c.GetHeader(), v)
			}
		}
		if !tk.rule.GetForwardOriginalToken() {
			tk.drop()
		}
		return nil
	}
	return errors.Join(errs...)
}

// claimString is Envoy's jwt_authn claim_to_headers encoding: strings as
// they are, numbers and booleans as text, lists and objects as base64 (with
// padding) of their JSON — so a groups list arrives as base64(["a","b"]).
func claimString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case []any, map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		return base64.StdEncoding.EncodeToString(b), true
	}
	return "", false
}

// keysFor fetches (once) the JWKS of a rule: jwksUri, or the issuer's OIDC
// discovery document when jwksUri is unset (what istiod does).
func (f *front) keysFor(ctx context.Context, rule *security.JWTRule) ([]jwk, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.jwks[rule.GetIssuer()]; ok {
		return k, nil
	}
	uri := rule.GetJwksUri()
	if uri == "" {
		var doc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := getJSON(ctx, f.client, strings.TrimSuffix(rule.GetIssuer(), "/")+"/.well-known/openid-configuration", &doc); err != nil {
			return nil, fmt.Errorf("OIDC discovery of %s: %w", rule.GetIssuer(), err)
		}
		uri = doc.JWKSURI
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := getJSON(ctx, f.client, uri, &set); err != nil {
		return nil, fmt.Errorf("JWKS %s: %w", uri, err)
	}
	f.jwks[rule.GetIssuer()] = set.Keys
	return set.Keys, nil
}

func getJSON(ctx context.Context, c *http.Client, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (f *front) matchAny(ps []namedPolicy, st *reqState) bool {
	for _, p := range ps {
		for _, r := range p.spec.GetRules() {
			if ruleMatches(r, st) {
				return true
			}
		}
	}
	return false
}

func ruleMatches(r *security.Rule, st *reqState) bool {
	if len(r.GetFrom()) > 0 && !slices.ContainsFunc(r.GetFrom(), func(fr *security.Rule_From) bool { return sourceMatches(fr.GetSource(), st) }) {
		return false
	}
	if len(r.GetTo()) > 0 && !slices.ContainsFunc(r.GetTo(), func(to *security.Rule_To) bool { return operationMatches(to.GetOperation(), st) }) {
		return false
	}
	for _, c := range r.GetWhen() {
		if !conditionMatches(c, st) {
			return false
		}
	}
	return true
}

func sourceMatches(s *security.Source, st *reqState) bool {
	if len(s.GetRequestPrincipals()) > 0 && !anyValue(s.GetRequestPrincipals(), st.principal) {
		return false
	}
	if len(s.GetNotRequestPrincipals()) > 0 && anyValue(s.GetNotRequestPrincipals(), st.principal) {
		return false
	}
	return true
}

func operationMatches(o *security.Operation, st *reqState) bool {
	host := strings.ToLower(st.host)
	lower := func(v []string) []string {
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	switch {
	case len(o.GetHosts()) > 0 && !anyValue(lower(o.GetHosts()), host),
		len(o.GetNotHosts()) > 0 && anyValue(lower(o.GetNotHosts()), host),
		len(o.GetMethods()) > 0 && !anyValue(o.GetMethods(), st.method),
		len(o.GetNotMethods()) > 0 && anyValue(o.GetNotMethods(), st.method),
		len(o.GetPaths()) > 0 && !anyPath(o.GetPaths(), st.path),
		len(o.GetNotPaths()) > 0 && anyPath(o.GetNotPaths(), st.path):
		return false
	}
	return true
}

var conditionKeyRE = regexp.MustCompile(`^(request\.headers|request\.auth\.claims)\[([^\]]+)\]$`)

func conditionKey(key string) (kind string, ok bool) {
	switch key {
	case "request.auth.principal", "request.auth.audiences":
		return key, true
	}
	if m := conditionKeyRE.FindStringSubmatch(key); m != nil {
		return m[1], true
	}
	return "", false
}

func conditionMatches(c *security.Condition, st *reqState) bool {
	var vals []string
	kind, _ := conditionKey(c.GetKey())
	switch kind {
	case "request.headers":
		name := conditionKeyRE.FindStringSubmatch(c.GetKey())[2]
		if v := strings.Join(st.header.Values(name), ","); v != "" {
			vals = []string{v}
		}
	case "request.auth.principal":
		if st.principal != "" {
			vals = []string{st.principal}
		}
	case "request.auth.audiences":
		vals = claimList(st.claims["aud"])
	case "request.auth.claims":
		vals = claimList(st.claims[conditionKeyRE.FindStringSubmatch(c.GetKey())[2]])
	}
	matchOne := func(patterns []string) bool {
		return slices.ContainsFunc(vals, func(v string) bool { return anyValue(patterns, v) })
	}
	if len(c.GetValues()) > 0 && !matchOne(c.GetValues()) {
		return false
	}
	if len(c.GetNotValues()) > 0 && matchOne(c.GetNotValues()) {
		return false
	}
	return true
}

func claimList(v any) []string {
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

// anyValue is Istio's string match: "*" (present, non-empty), "prefix*",
// "*suffix", exact.
func anyValue(patterns []string, v string) bool {
	for _, p := range patterns {
		switch {
		case p == "*":
			if v != "" {
				return true
			}
		case strings.HasSuffix(p, "*"):
			if strings.HasPrefix(v, strings.TrimSuffix(p, "*")) {
				return true
			}
		case strings.HasPrefix(p, "*"):
			if strings.HasSuffix(v, strings.TrimPrefix(p, "*")) {
				return true
			}
		case p == v:
			return true
		}
	}
	return false
}

// anyPath is the path match of an Operation: the string match above, plus
// the path templates {*} (one segment) and {**} (the rest).
func anyPath(patterns []string, path string) bool {
	for _, p := range patterns {
		if strings.Contains(p, "{*}") || strings.Contains(p, "{**}") {
			re := "^" + strings.NewReplacer(`\{\*\*\}`, `.*`, `\{\*\}`, `[^/]+`).Replace(regexp.QuoteMeta(p)) + "$"
			if regexp.MustCompile(re).MatchString(path) {
				return true
			}
			continue
		}
		if anyValue([]string{p}, path) {
			return true
		}
	}
	return false
}

// route applies the first matching VirtualService route.
func (f *front) route(w http.ResponseWriter, ctx context.Context, st *reqState, body []byte, log func(string, ...any)) {
	for _, vr := range f.routes {
		r := vr.route
		m, ok := routeMatches(r, st)
		if !ok {
			continue
		}
		if rd := r.GetRedirect(); rd != nil {
			loc := &url.URL{Path: st.path, RawQuery: st.query}
			if rd.GetUri() != "" {
				u, err := url.Parse(rd.GetUri())
				if err != nil {
					http.Error(w, "bad redirect uri", 500)
					return
				}
				loc.Path = u.Path
				if u.RawQuery != "" {
					loc.RawQuery = u.RawQuery
				}
			}
			target := loc.String()
			if rd.GetAuthority() != "" || rd.GetScheme() != "" {
				scheme, host := st.scheme, st.host
				if rd.GetScheme() != "" {
					scheme = rd.GetScheme()
				}
				if rd.GetAuthority() != "" {
					host = rd.GetAuthority()
				}
				target = scheme + "://" + host + target
			} else {
				// Envoy writes an absolute URL with the request's scheme and host.
				target = st.scheme + "://" + st.host + target
			}
			code := int(rd.GetRedirectCode())
			if code == 0 {
				code = http.StatusMovedPermanently
			}
			log("route %s/%s %q: redirect %d %s", vr.vs.namespace, vr.vs.name, r.GetName(), code, target)
			copyHeader(w.Header(), st.respHeader)
			w.Header().Set("Location", target)
			w.WriteHeader(code)
			return
		}
		if dr := r.GetDirectResponse(); dr != nil {
			log("route %q: direct response %d", r.GetName(), dr.GetStatus())
			w.WriteHeader(int(dr.GetStatus()))
			if b := dr.GetBody(); b != nil {
				io.WriteString(w, b.GetString_())
				w.Write(b.GetBytes())
			}
			return
		}
		path := st.path
		if rw := r.GetRewrite(); rw != nil && rw.GetUri() != "" {
			if p, ok := m.GetUri().GetMatchType().(*networking.StringMatch_Prefix); ok && m != nil {
				path = rw.GetUri() + strings.TrimPrefix(path, p.Prefix)
			} else {
				path = rw.GetUri()
			}
		}
		host := st.host
		if rw := r.GetRewrite(); rw != nil && rw.GetAuthority() != "" {
			host = rw.GetAuthority()
		}
		if len(r.GetRoute()) == 0 {
			http.Error(w, "route has no destination", 500)
			return
		}
		dest := r.GetRoute()[0].GetDestination()
		addr, err := f.resolve(dest.GetHost(), dest.GetPort().GetNumber(), vr.vs.namespace)
		if err != nil {
			log("route %q: %v → 503", r.GetName(), err)
			http.Error(w, "no healthy upstream: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		hdr := st.header.Clone()
		if ops := r.GetHeaders().GetRequest(); ops != nil {
			for k, v := range ops.GetSet() {
				hdr.Set(k, v)
			}
			for k, v := range ops.GetAdd() {
				hdr.Add(k, v)
			}
			for _, k := range ops.GetRemove() {
				hdr.Del(k)
			}
		}
		target := "http://" + addr + path
		if st.query != "" {
			target += "?" + st.query
		}
		ctx, cancel := context.WithTimeout(ctx, httpTimeout)
		defer cancel()
		var rb io.Reader
		if len(body) > 0 {
			rb = strings.NewReader(string(body))
		}
		ureq, _ := http.NewRequestWithContext(ctx, st.method, target, rb)
		ureq.Header = hdr
		ureq.Host = host
		resp, err := f.client.Do(ureq)
		if err != nil {
			log("route %q: upstream %s: %v → 503", r.GetName(), addr, err)
			http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
			return
		}
		defer resp.Body.Close()
		log("route %s/%s %q → %s%s: %d", vr.vs.namespace, vr.vs.name, r.GetName(), dest.GetHost(), path, resp.StatusCode)
		copyHeader(w.Header(), resp.Header)
		copyHeader(w.Header(), st.respHeader)
		if ops := r.GetHeaders().GetResponse(); ops != nil {
			for k, v := range ops.GetSet() {
				w.Header().Set(k, v)
			}
			for k, v := range ops.GetAdd() {
				w.Header().Add(k, v)
			}
			for _, k := range ops.GetRemove() {
				w.Header().Del(k)
			}
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
		return
	}
	log("no route: 404")
	http.Error(w, "no route", http.StatusNotFound)
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = slices.Clone(v)
	}
}

// routeMatches returns the matching HTTPMatchRequest (nil for a route
// without matches, which matches everything).
func routeMatches(r *networking.HTTPRoute, st *reqState) (*networking.HTTPMatchRequest, bool) {
	if len(r.GetMatch()) == 0 {
		return nil, true
	}
	for _, m := range r.GetMatch() {
		if m.GetUri() != nil && !stringMatch(m.GetUri(), st.path, m.GetIgnoreUriCase()) {
			continue
		}
		if m.GetMethod() != nil && !stringMatch(m.GetMethod(), st.method, false) {
			continue
		}
		return m, true
	}
	return nil, false
}

func stringMatch(s *networking.StringMatch, v string, ignoreCase bool) bool {
	if ignoreCase {
		v = strings.ToLower(v)
	}
	switch m := s.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		return v == m.Exact || (ignoreCase && v == strings.ToLower(m.Exact))
	case *networking.StringMatch_Prefix:
		return strings.HasPrefix(v, m.Prefix) || (ignoreCase && strings.HasPrefix(v, strings.ToLower(m.Prefix)))
	case *networking.StringMatch_Regex:
		ok, _ := regexp.MatchString("^(?:"+m.Regex+")$", v)
		return ok
	}
	return true
}

// resolve maps a service host (FQDN, or short relative to ns) and port to the
// loopback address registered for it: the stand-in for cluster DNS.
func (f *front) resolve(host string, port uint32, ns string) (string, error) {
	if i := strings.Index(host, "/"); i >= 0 { // "[namespace/]hostname"
		host = host[i+1:]
	}
	switch strings.Count(host, ".") {
	case 0:
		host += "." + ns + ".svc.cluster.local"
	case 1:
		host += ".svc.cluster.local"
	}
	if strings.HasSuffix(host, ".svc") {
		host += ".cluster.local"
	}
	if port == 0 {
		var only string
		for k := range f.cfg.registry {
			if strings.HasPrefix(k, host+":") {
				if only != "" {
					return "", fmt.Errorf("service %s has several ports; the destination names none", host)
				}
				only = k
			}
		}
		if only == "" {
			return "", fmt.Errorf("no service %s", host)
		}
		return f.cfg.registry[only], nil
	}
	key := host + ":" + strconv.Itoa(int(port))
	if a, ok := f.cfg.registry[key]; ok {
		return a, nil
	}
	return "", fmt.Errorf("no service port %s (known: %v)", key, mapKeys(f.cfg.registry))
}

func mapKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// ---- JWT verification (what Envoy's jwt_authn checks) ----

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func parseJWTUnverified(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWS compact token")
	}
	p, err := b64(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(p, &claims); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return claims, nil
}

func verifyJWT(tok string, keys []jwk, audiences []string, now time.Time) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWS compact token")
	}
	hb, err := b64(parts[0])
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	var hdr struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	sig, err := b64(parts[2])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	var h hash.Hash
	var ch crypto.Hash
	switch hdr.Alg {
	case "RS256", "ES256":
		h, ch = sha256.New(), crypto.SHA256
	case "RS384", "ES384":
		h, ch = sha512.New384(), crypto.SHA384
	case "RS512":
		h, ch = sha512.New(), crypto.SHA512
	default:
		return fmt.Errorf("alg %q not supported", hdr.Alg)
	}
	h.Write([]byte(parts[0] + "." + parts[1]))
	digest := h.Sum(nil)
	verified := false
	for _, k := range keys {
		if hdr.Kid != "" && k.Kid != "" && k.Kid != hdr.Kid {
			continue
		}
		switch {
		case k.Kty == "RSA" && strings.HasPrefix(hdr.Alg, "RS"):
			n, err1 := b64(k.N)
			e, err2 := b64(k.E)
			if err1 != nil || err2 != nil {
				continue
			}
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			if rsa.VerifyPKCS1v15(pub, ch, digest, sig) == nil {
				verified = true
			}
		case k.Kty == "EC" && strings.HasPrefix(hdr.Alg, "ES"):
			x, err1 := b64(k.X)
			y, err2 := b64(k.Y)
			if err1 != nil || err2 != nil || len(sig)%2 != 0 {
				continue
			}
			curve := elliptic.P256()
			if k.Crv == "P-384" {
				curve = elliptic.P384()
			}
			pub := &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
			r, s := new(big.Int).SetBytes(sig[:len(sig)/2]), new(big.Int).SetBytes(sig[len(sig)/2:])
			if ecdsa.Verify(pub, digest, r, s) {
				verified = true
			}
		}
		if verified {
			break
		}
	}
	if !verified {
		return fmt.Errorf("Jwks doesn't have key to match kid or alg from Jwt, or the signature is invalid")
	}
	claims, err := parseJWTUnverified(tok)
	if err != nil {
		return err
	}
	const skew = 60
	unix := float64(now.Unix())
	if exp, ok := claims["exp"].(float64); ok && unix > exp+skew {
		return fmt.Errorf("Jwt is expired")
	}
	if nbf, ok := claims["nbf"].(float64); ok && unix+skew < nbf {
		return fmt.Errorf("Jwt not yet valid")
	}
	if len(audiences) > 0 {
		aud := claimList(claims["aud"])
		if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(audiences, a) }) {
			return fmt.Errorf("Audiences in Jwt %v are not allowed (want one of %v)", aud, audiences)
		}
	}
	return nil
}
