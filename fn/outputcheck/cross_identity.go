package outputcheck

import (
	"net/url"
	"slices"
	"strconv"
)

// checkIssuers: a token from an issuer no RequestAuthentication trusts is
// rejected by Istio ("Jwt issuer is not configured") once it is sent as a
// bearer token — oauth2-proxy's Authorization header, or a machine client's.
// So when RequestAuthentications are in the set, the Dex issuer and
// oauth2-proxy's oidc_issuer_url must each be some jwtRule's issuer.
func (r *run) checkIssuers() {
	if !r.facts.haveRequestAuth {
		return
	}
	trusted := func(iss string) bool { return slices.Contains(r.facts.jwtIssuers, iss) }
	for _, d := range r.facts.dex {
		if d.issuer != "" && !trusted(d.issuer) {
			r.add(d.obj, joinPath(d.field, "issuer"), "no RequestAuthentication jwtRule has issuer "+strconv.Quote(d.issuer))
		}
	}
	for _, p := range r.facts.oauth2Proxies {
		if p.issuer != "" && !trusted(p.issuer) {
			r.add(p.obj, p.field+".oidc_issuer_url", "no RequestAuthentication jwtRule has issuer "+strconv.Quote(p.issuer))
		}
	}
}

// checkRedirectURL: Dex refuses a login whose redirect_uri is not one of
// the client's redirectURIs ("Unregistered redirect_uri"). oauth2-proxy's
// redirect_url must be one of them; a relative redirect_url (resolved
// against the request's host) must be the path of one of them.
func (r *run) checkRedirectURL() {
	if len(r.facts.dex) == 0 {
		return
	}
	for _, p := range r.facts.oauth2Proxies {
		if p.clientID == "" {
			continue // given by environment: nothing to match on
		}
		var clients []dexClient
		for _, d := range r.facts.dex {
			for _, c := range d.clients {
				if c.ID == p.clientID {
					clients = append(clients, c)
				}
			}
		}
		if len(clients) == 0 {
			// A client with idEnv may carry this id at run time.
			for _, d := range r.facts.dex {
				for _, c := range d.clients {
					if c.ID == "" && c.IDEnv != "" {
						clients = append(clients, c)
					}
				}
			}
		}
		if len(clients) == 0 {
			r.add(p.obj, p.field+".client_id", "no Dex static client with id "+strconv.Quote(p.clientID))
			continue
		}
		if p.redirectURL == "" {
			continue
		}
		if !slices.ContainsFunc(clients, func(c dexClient) bool { return redirectMatches(p.redirectURL, c.RedirectURIs) }) {
			r.add(p.obj, p.field+".redirect_url", strconv.Quote(p.redirectURL)+" is not among the redirectURIs of Dex client "+strconv.Quote(p.clientID))
		}
	}
}

func redirectMatches(redirect string, uris []string) bool {
	for _, u := range uris {
		if u == redirect {
			return true
		}
		if redirect[0] == '/' {
			if pu, err := url.Parse(u); err == nil && pu.Path == redirect {
				return true
			}
		}
	}
	return false
}
