package outputcheck

import (
	"slices"
	"strconv"
	"strings"

	securityv1beta1 "istio.io/api/security/v1beta1"

	csconfig "meshauth.dev/meshauth/checkserver/config"
)

// One person, one identity: the same login must give the same user id and
// groups whichever path a request takes — the session cookie through
// oauth2-proxy (whose ID token Istio then reads), a bearer token through
// Istio's RequestAuthentication, or either through the check-server. These
// checks compare what each of them reads.

type jwtRuleFact struct {
	obj   *object
	field string
	rule  *securityv1beta1.JWTRule
}

type checkServerFacts struct {
	obj   *object
	field string
	cfg   csconfig.Config
}

// sessionUserClaim is the claim oauth2-proxy v7.15 fills the session's
// email (X-Auth-Request-Email) from: oidc_email_claim, or user_id_claim when
// oidc_email_claim is left at its default (its backwards-compatibility rule).
func sessionUserClaim(strs map[string]string) string {
	email := orDefault(strs["oidc_email_claim"], "email")
	if uid := strs["user_id_claim"]; email == "email" && uid != "" {
		return uid
	}
	return email
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// checkServerConfig decodes the check-server's config.yaml strictly and runs
// its own validation; a config that does not pass is reported, not compared.
func (r *run) checkServerConfig(o *object, field, text string) {
	cfg, err := csconfig.Parse([]byte(text))
	if err != nil {
		r.add(o, field, "check-server config: "+err.Error())
		return
	}
	r.facts.checkServers = append(r.facts.checkServers, checkServerFacts{obj: o, field: field, cfg: cfg})
}

// checkOneIdentity compares, for the login issuer (oauth2-proxy's
// oidc_issuer_url), oauth2-proxy's claims and client id with the Istio
// jwtRules and the check-server's issuer and headers.
func (r *run) checkOneIdentity() {
	for _, p := range r.facts.oauth2Proxies {
		if p.issuer == "" || p.clientID == "" {
			continue // the client id comes from the environment: nothing to compare
		}
		for _, jr := range r.facts.jwtRules {
			if jr.rule.GetIssuer() != p.issuer {
				continue
			}
			aud := jr.rule.GetAudiences()
			if len(aud) == 0 {
				r.add(jr.obj, jr.field+".audiences", "is empty: any token of "+strconv.Quote(p.issuer)+", minted for any client, is accepted; pin it to oauth2-proxy's client_id "+strconv.Quote(p.clientID))
				continue
			}
			if !slices.Contains(aud, p.clientID) {
				// A second rule of the same issuer for machine audiences.
				continue
			}
			for i, c := range jr.rule.GetOutputClaimToHeaders() {
				// email_verified is a flag for the DENY rule, not an id.
				if c.GetClaim() != p.userClaim && c.GetClaim() != p.groupsClaim && c.GetClaim() != "email_verified" {
					r.add(jr.obj, jr.field+".outputClaimToHeaders["+strconv.Itoa(i)+"].claim", strconv.Quote(c.GetClaim())+" for header "+strconv.Quote(c.GetHeader())+", but oauth2-proxy identifies the user by "+strconv.Quote(p.userClaim)+" and groups by "+strconv.Quote(p.groupsClaim)+": one person would get two ids")
				}
			}
		}
		for _, cs := range r.facts.checkServers {
			r.compareCheckServer(p, cs)
		}
	}
	// One groups format: Envoy's jwt_authn writes a list claim as base64 of
	// its JSON; a check-server writing csv into the same header disagrees.
	for _, cs := range r.facts.checkServers {
		if cs.cfg.Identity.GroupsFormat == csconfig.GroupsJSONBase64 {
			continue
		}
		for _, jr := range r.facts.jwtRules {
			for i, c := range jr.rule.GetOutputClaimToHeaders() {
				if strings.EqualFold(c.GetHeader(), cs.cfg.Identity.GroupsHeader) {
					r.add(cs.obj, cs.field+".identity.groupsFormat", "is csv but "+jr.obj.id+" "+jr.field+".outputClaimToHeaders["+strconv.Itoa(i)+"] writes "+strconv.Quote(c.GetHeader())+" as Envoy does (base64 of JSON for a list): set groupsFormat: json-base64")
				}
			}
		}
	}
}

func (r *run) compareCheckServer(p oauth2ProxyFacts, cs checkServerFacts) {
	i := slices.IndexFunc(cs.cfg.Issuers, func(is csconfig.Issuer) bool { return is.Issuer == p.issuer })
	if i < 0 {
		r.add(cs.obj, cs.field+".issuers", "has no entry for oauth2-proxy's issuer "+strconv.Quote(p.issuer)+": its ID tokens would be refused as bearers")
		return
	}
	is := cs.cfg.Issuers[i]
	at := cs.field + ".issuers[" + strconv.Itoa(i) + "]"
	if !slices.Contains(is.Audiences, p.clientID) {
		r.add(cs.obj, at+".audiences", "does not hold oauth2-proxy's client_id "+strconv.Quote(p.clientID))
	}
	if is.UserClaim != p.userClaim {
		r.add(cs.obj, at+".userClaim", strconv.Quote(is.UserClaim)+" but oauth2-proxy's session user comes from "+strconv.Quote(p.userClaim)+": the cookie and bearer paths would give one person two user ids")
	}
	if is.GroupsClaim != p.groupsClaim {
		r.add(cs.obj, at+".groupsClaim", strconv.Quote(is.GroupsClaim)+" but oauth2-proxy's oidc_groups_claim is "+strconv.Quote(p.groupsClaim))
	}
	if cs.cfg.OAuth2Proxy.URL != "" && !strings.EqualFold(cs.cfg.OAuth2Proxy.UserHeader, "X-Auth-Request-Email") {
		r.add(cs.obj, cs.field+".oauth2Proxy.userHeader", strconv.Quote(cs.cfg.OAuth2Proxy.UserHeader)+": oauth2-proxy puts the "+strconv.Quote(p.userClaim)+" claim in X-Auth-Request-Email (X-Auth-Request-User is always sub)")
	}
}
