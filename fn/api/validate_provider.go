package api

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// validateProvider checks the provider profile and what it decides: prompt,
// audiences, the refresh against the ID-token lifetime, the groups header
// format, RP-initiated logout and the check-server's identity options.
func validateProvider(s Spec, errs *FieldErrors) {
	o := s.OIDC
	const at = "spec.oidc"
	if _, ok := profiles[o.Provider]; !ok {
		errs.add(at+".provider", "must be one of dex, keycloak, entra, okta, generic, got %q", o.Provider)
	}
	switch {
	case o.Provider == ProviderDex && s.Dex == nil:
		errs.add(at+".provider", "is dex but spec.dex is not set; add spec.dex (the bundled Dex) or name your provider (keycloak, entra, okta, generic)")
	case o.Provider != ProviderDex && s.Dex != nil:
		errs.add(at+".provider", "is %q but spec.dex is set: the bundled Dex is the dex profile; remove spec.dex to log in against %s directly, or remove provider", o.Provider, o.Provider)
	}
	switch o.Prompt {
	case "none":
		if o.Provider != ProviderDex {
			errs.add(at+".prompt", "none makes the IdP answer login_required to a user without an IdP session, so nobody could log in; use omit (the default for %s) or login", o.Provider)
		}
	case "login", "consent", "select_account", PromptOmit:
	default:
		errs.add(at+".prompt", "must be none, login, consent, select_account or omit, got %q", o.Prompt)
	}
	validateAudiences(s, errs)
	validateRefresh(s, errs)

	g := s.IdentityHeaders.Groups
	switch {
	case g.Format != GroupsCSV && g.Format != GroupsJSONBase64:
		errs.add("spec.identityHeaders.groups.format", "must be csv or json-base64, got %q", g.Format)
	case g.Format == GroupsCSV && s.Authorizer == AuthorizerOAuth2Proxy:
		errs.add("spec.identityHeaders.groups.format", "csv needs authorizer: check-server; with oauth2-proxy the groups header comes from Envoy's jwt_authn, which writes a list claim as base64 of its JSON (json-base64)")
	}

	validateCheckServerOptions(s, errs)
	validateLargeTokens(o.LargeTokens, errs)
}

// validateEndSession returns spec.logout.endSessionURL, parsed (nil when
// unset or not valid).
func validateEndSession(raw string, errs *FieldErrors) *url.URL {
	if raw == "" {
		return nil
	}
	return checkURL("spec.logout.endSessionURL", raw, false, errs)
}

// validateAudiences checks the extra login audiences and that no machine
// audience of the login issuer is a login audience too.
func validateAudiences(s Spec, errs *FieldErrors) {
	o := s.OIDC
	const at = "spec.oidc"
	seen := map[string]string{s.OAuth2Proxy.ClientID: "spec.oauth2Proxy.clientID"}
	for i, a := range o.Audiences {
		p := idx(at+".audiences", i)
		switch {
		case strings.TrimSpace(a) == "" || strings.ContainsAny(a, " \t\n\"'"):
			errs.add(p, "must be a client id without spaces or quotes, got %q", a)
		case seen[a] != "":
			errs.add(p, "%q is already accepted as %s; list each client id once", a, seen[a])
		case s.Dex != nil && !dexHasClient(s.Dex, a):
			errs.add(p, "%q is not a client of the bundled Dex; register it in spec.dex.clients or remove it", a)
		}
		seen[a] = p
	}
	for i, m := range s.MachineIssuers {
		if m.Issuer != o.IssuerURL || len(m.Audiences) == 0 {
			continue
		}
		p := idx("spec.machineIssuers", i)
		if s.Authorizer == AuthorizerCheckServer {
			errs.add(p+".issuer", "is the login issuer; with authorizer: check-server list its machine audiences in spec.oidc.audiences instead")
		}
		for j, a := range m.Audiences {
			if a == s.OAuth2Proxy.ClientID || contains(o.Audiences, a) {
				errs.add(idx(p+".audiences", j), "%q is a login audience too; a machine audience of the login issuer must be its own, or one token would get two user ids", a)
			}
		}
	}
}

// validateCheckServerOptions checks the options only the check-server reads.
func validateCheckServerOptions(s Spec, errs *FieldErrors) {
	g := s.IdentityHeaders.Groups
	cs := s.CheckServer
	if s.Authorizer != AuthorizerCheckServer {
		if len(cs.AllowedGroups) > 0 {
			errs.add("spec.checkServer.allowedGroups", "needs authorizer: check-server; with oauth2-proxy use an ALLOW AuthorizationPolicy on request.auth.claims[%s]", g.Claim)
		}
		if len(cs.UserTransformers) > 0 {
			errs.add("spec.checkServer.userTransformers", "needs authorizer: check-server; with oauth2-proxy Istio copies the claim into the header as it is")
		}
	}
	for i, grp := range cs.AllowedGroups {
		if strings.TrimSpace(grp) == "" || strings.Contains(grp, ",") {
			errs.add(idx("spec.checkServer.allowedGroups", i), "must be a non-empty group name without commas, got %q", grp)
		}
	}
	for i, tr := range cs.UserTransformers {
		if _, err := regexp.Compile(tr.Match); err != nil || tr.Match == "" {
			errs.add(idx("spec.checkServer.userTransformers", i)+".match", "must be a regular expression, e.g. ^(.*)@example\\.org$ (got %q)", tr.Match)
		}
	}
}

func validateLargeTokens(lt *LargeTokens, errs *FieldErrors) {
	const at = "spec.oidc"
	if lt != nil {
		for i, r := range lt.StripCookieRoutes {
			p := idx(at+".largeTokens.stripCookieRoutes", i)
			checkDNSLabel(p+".namespace", r.Namespace, errs)
			checkDNSSubdomain(p+".name", r.Name, errs)
		}
		if lt.MaxTokenBytes != nil && (*lt.MaxTokenBytes < 1024 || *lt.MaxTokenBytes > 1<<20) {
			errs.add(at+".largeTokens.maxTokenBytes", "must be between 1024 and 1048576, got %d", *lt.MaxTokenBytes)
		}
	}
}

// validateRefresh refuses a session that would forward an expired ID token:
// oauth2-proxy refreshes only when a request comes after cookie.refresh, and
// forwards the stored ID token until then; the gateway then answers 401
// "Jwt is expired".
func validateRefresh(s Spec, errs *FieldErrors) {
	o := s.OIDC
	if o.IDTokenLifetime == "" {
		return // generic without a lifetime: nothing to check against
	}
	life := checkDuration("spec.oidc.idTokenLifetime", o.IDTokenLifetime, false, errs)
	c := s.OAuth2Proxy.Cookie
	refresh, err1 := time.ParseDuration(c.Refresh)
	expire, err2 := time.ParseDuration(c.Expire)
	if life <= 0 || err1 != nil || err2 != nil {
		return
	}
	fix := refreshFor(o.IDTokenLifetime)
	switch {
	case refresh == 0 && expire > life:
		errs.add("spec.oauth2Proxy.cookie.refresh", "is 0s (no refresh) but the session (cookie.expire %s) outlives the ID token (spec.oidc.idTokenLifetime %s): the gateway would get an expired token; set refresh: %s (or remove it to derive it)", c.Expire, o.IDTokenLifetime, fix)
	case refresh >= life:
		errs.add("spec.oauth2Proxy.cookie.refresh", "(%s) must be shorter than the ID token's lifetime (spec.oidc.idTokenLifetime %s), or oauth2-proxy forwards expired tokens and the gateway answers 401 \"Jwt is expired\"; set refresh: %s (or remove it to derive it)", c.Refresh, o.IDTokenLifetime, fix)
	}
}

// validateRedis checks one of: a single server (address), sentinel, cluster.
func validateRedis(r *Redis, errs *FieldErrors) {
	const at = "spec.oauth2Proxy.sessionStore.redis"
	if r == nil {
		errs.add(at+".address", "is required with type redis, e.g. redis://redis.oauth2-proxy.svc.cluster.local:6379 (or set sentinel or cluster)")
		return
	}
	modes := 0
	for _, on := range []bool{r.Address != "", r.Sentinel != nil, r.Cluster != nil} {
		if on {
			modes++
		}
	}
	switch {
	case modes == 0:
		errs.add(at+".address", "is required with type redis, e.g. redis://redis.oauth2-proxy.svc.cluster.local:6379 (or set sentinel or cluster)")
	case modes > 1:
		errs.add(at, "set exactly one of address, sentinel and cluster")
	}
	if r.Address != "" {
		checkRedisURL(at+".address", r.Address, errs)
	}
	if r.PasswordSecretRef != nil {
		checkSecretRef(at+".passwordSecretRef", *r.PasswordSecretRef, errs)
	}
	if sn := r.Sentinel; sn != nil {
		if sn.MasterName == "" {
			errs.add(at+".sentinel.masterName", "is required: the name of the master the sentinels watch, e.g. mymaster")
		}
		checkRedisURLs(at+".sentinel.addresses", sn.Addresses, errs)
		if sn.PasswordSecretRef != nil {
			checkSecretRef(at+".sentinel.passwordSecretRef", *sn.PasswordSecretRef, errs)
		}
	}
	if cl := r.Cluster; cl != nil {
		checkRedisURLs(at+".cluster.addresses", cl.Addresses, errs)
	}
	if r.CASecretRef != nil {
		checkSecretRef(at+".caSecretRef", *r.CASecretRef, errs)
		requireTLS(r, errs)
	}
}

// requireTLS: with a CA, oauth2-proxy speaks TLS to every Redis address, so
// a plain redis:// server never answers and oauth2-proxy hangs at start
// (seen on the real redis-server, e2e TestRedisTLSSessions).
func requireTLS(r *Redis, errs *FieldErrors) {
	const at = "spec.oauth2Proxy.sessionStore.redis"
	check := func(path, addr string) {
		if strings.HasPrefix(addr, "redis://") {
			errs.add(path, "is a plain redis:// address, but caSecretRef is set and oauth2-proxy then speaks TLS to Redis, which a plain server never answers; use rediss://, or remove caSecretRef")
		}
	}
	check(at+".address", r.Address)
	if r.Sentinel != nil {
		for i, a := range r.Sentinel.Addresses {
			check(idx(at+".sentinel.addresses", i), a)
		}
	}
	if r.Cluster != nil {
		for i, a := range r.Cluster.Addresses {
			check(idx(at+".cluster.addresses", i), a)
		}
	}
}

func checkRedisURLs(path string, list []string, errs *FieldErrors) {
	if len(list) == 0 {
		errs.add(path, "must list at least one redis://host:port")
	}
	for i, a := range list {
		checkRedisURL(idx(path, i), a, errs)
	}
}

func checkRedisURL(path, raw string, errs *FieldErrors) {
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" || u.User != nil {
		errs.add(path, "must be redis://host:port or rediss://host:port without a password (got %q); use passwordSecretRef", redactUserInfo(raw))
	}
}

func dexHasClient(d *Dex, id string) bool {
	for _, c := range d.Clients {
		if c.ID == id {
			return true
		}
	}
	return false
}
