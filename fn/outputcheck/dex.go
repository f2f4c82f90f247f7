package outputcheck

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dexFacts is what the cross checks need from a Dex config.
type dexFacts struct {
	obj     *object
	field   string
	issuer  string
	clients []dexClient
}

// dexConfig checks Dex's config.yaml: strict schema first, then the rules
// Dex applies at start-up (so a bad config fails here, not in a crash-looping
// pod) and the ones it does not apply at all but that break logins.
func (r *run) dexConfig(o *object, field, text string) {
	data, ok := r.embeddedJSON(o, field, text)
	if !ok {
		return
	}
	var c dexConfig
	if errs := strictDecode(data, &c); len(errs) > 0 {
		r.addAll(o, field, errs)
		return
	}
	r.dexServer(o, field, &c)
	r.dexLogin(o, field, &c)
	r.dexUsers(o, field, &c)
	r.facts.dex = append(r.facts.dex, dexFacts{obj: o, field: field, issuer: c.Issuer, clients: c.StaticClients})
}

// dexServer checks the issuer, storage, signer, listeners, expiries and logger.
func (r *run) dexServer(o *object, field string, c *dexConfig) {
	add := func(f, msg string) { r.add(o, joinPath(field, f), msg) }
	if c.Issuer == "" {
		add("issuer", "required")
	} else if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("issuer", "must be an absolute http(s) URL")
	}
	r.dexPluggable(o, joinPath(field, "storage"), c.Storage, dexStorageTypes, map[string]func() any{
		"kubernetes": func() any { return &dexKubernetesStorage{} },
		"memory":     func() any { return &dexMemoryStorage{} },
	})
	if c.Signer != nil {
		r.dexPluggable(o, joinPath(field, "signer"), c.Signer, dexSignerTypes, map[string]func() any{
			"local": func() any { return &dexLocalSigner{} },
		})
	}
	if c.Web.HTTP == "" && c.Web.HTTPS == "" {
		add("web", "http or https listen address required")
	}
	if c.Web.HTTPS != "" && (c.Web.TLSCert == "" || c.Web.TLSKey == "") {
		add("web", "https needs tlsCert and tlsKey")
	}
	for f, v := range map[string]string{"web.tlsMinVersion": c.Web.TLSMinVersion, "web.tlsMaxVersion": c.Web.TLSMaxVersion, "grpc.tlsMinVersion": c.GRPC.TLSMinVersion, "grpc.tlsMaxVersion": c.GRPC.TLSMaxVersion} {
		if v != "" && v != "1.2" && v != "1.3" {
			add(f, "must be 1.2 or 1.3")
		}
	}
	if (c.GRPC.TLSCert == "") != (c.GRPC.TLSKey == "") {
		add("grpc", "tlsCert and tlsKey go together")
	}
	for f, v := range map[string]string{
		"expiry.signingKeys": c.Expiry.SigningKeys, "expiry.idTokens": c.Expiry.IDTokens,
		"expiry.authRequests": c.Expiry.AuthRequests, "expiry.deviceRequests": c.Expiry.DeviceRequests,
		"expiry.refreshTokens.reuseInterval":     c.Expiry.RefreshTokens.ReuseInterval,
		"expiry.refreshTokens.absoluteLifetime":  c.Expiry.RefreshTokens.AbsoluteLifetime,
		"expiry.refreshTokens.validIfNotUsedFor": c.Expiry.RefreshTokens.ValidIfNotUsedFor,
	} {
		if v != "" {
			if _, err := time.ParseDuration(v); err != nil {
				add(f, "not a duration: "+strconv.Quote(v))
			}
		}
	}
	if l := strings.ToLower(c.Logger.Level); l != "" && !slices.Contains([]string{"debug", "info", "warn", "error"}, l) {
		add("logger.level", "must be debug, info, warn or error")
	}
	if f := c.Logger.Format; f != "" && f != "json" && f != "text" {
		add("logger.format", "must be json or text")
	}
}

// dexLogin checks the OAuth2 grant and response types and the connectors.
func (r *run) dexLogin(o *object, field string, c *dexConfig) {
	add := func(f, msg string) { r.add(o, joinPath(field, f), msg) }
	for i, g := range c.OAuth2.GrantTypes {
		if !slices.Contains(dexGrantTypes, g) {
			add("oauth2.grantTypes["+strconv.Itoa(i)+"]", "unknown grant type "+strconv.Quote(g))
		}
	}
	for i, t := range c.OAuth2.ResponseTypes {
		if !slices.Contains(dexResponseTypes, t) {
			add("oauth2.responseTypes["+strconv.Itoa(i)+"]", "unknown response type "+strconv.Quote(t))
		}
	}

	connectorIDs := map[string]bool{}
	for i, cn := range c.Connectors {
		p := "connectors[" + strconv.Itoa(i) + "]"
		if !slices.Contains(dexConnectorTypes, cn.Type) {
			add(p+".type", "unknown connector type "+strconv.Quote(cn.Type))
		}
		if cn.ID == "" {
			add(p+".id", "required")
		} else if connectorIDs[cn.ID] {
			add(p+".id", "duplicate connector id "+strconv.Quote(cn.ID))
		}
		connectorIDs[cn.ID] = true
	}
	if pc := c.OAuth2.PasswordConnector; pc != "" {
		if pc == "local" && !c.EnablePasswordDB {
			add("oauth2.passwordConnector", "local needs enablePasswordDB: true")
		} else if pc != "local" && !connectorIDs[pc] {
			add("oauth2.passwordConnector", "no connector with id "+strconv.Quote(pc))
		}
	}
}

// dexUsers checks the static passwords and the static clients.
func (r *run) dexUsers(o *object, field string, c *dexConfig) {
	add := func(f, msg string) { r.add(o, joinPath(field, f), msg) }
	if !c.EnablePasswordDB && len(c.StaticPasswords) > 0 {
		add("staticPasswords", "needs enablePasswordDB: true")
	}
	for i, p := range c.StaticPasswords {
		if p.Hash == "" && p.HashFromEnv == "" {
			add("staticPasswords["+strconv.Itoa(i)+"]", "hash or hashFromEnv required")
		}
		if p.Email == "" {
			add("staticPasswords["+strconv.Itoa(i)+"].email", "required")
		}
	}

	clientIDs := map[string]bool{}
	for i, cl := range c.StaticClients {
		p := "staticClients[" + strconv.Itoa(i) + "]"
		if cl.ID == "" && cl.IDEnv == "" {
			add(p, "id or idEnv required")
		}
		if cl.ID != "" {
			if clientIDs[cl.ID] {
				add(p+".id", "duplicate client id "+strconv.Quote(cl.ID))
			}
			clientIDs[cl.ID] = true
		}
		if cl.Secret == "" && cl.SecretEnv == "" && !cl.Public {
			add(p, "secret, secretEnv or public: true required")
		}
		for j, u := range cl.RedirectURIs {
			if !isAbsoluteOrRootedURI(u) {
				add(p+".redirectURIs["+strconv.Itoa(j)+"]", "must be an absolute URL or start with /")
			}
		}
	}
}

// dexPluggable checks a {type, config} pair: the type must be known, and
// for types with a fixed key set the config is strictly decoded.
func (r *run) dexPluggable(o *object, field string, p *dexPluggable, types []string, strict map[string]func() any) {
	if p == nil || p.Type == "" {
		r.add(o, joinPath(field, "type"), "required")
		return
	}
	if !slices.Contains(types, p.Type) {
		r.add(o, joinPath(field, "type"), "unknown type "+strconv.Quote(p.Type)+"; one of "+strings.Join(types, ", "))
		return
	}
	if newCfg, ok := strict[p.Type]; ok && len(p.Config) > 0 && string(p.Config) != "null" {
		r.addAll(o, joinPath(field, "config"), strictDecode(p.Config, newCfg()))
	}
}

func isAbsoluteOrRootedURI(s string) bool {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}
