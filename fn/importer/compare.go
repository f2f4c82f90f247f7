package importer

import (
	"strings"
)

// compare sorts every setting of the install and of the render into the
// report: equal (carried), different where meshauth decides (changed, with
// why), or set in the install where no AuthConfig field reaches
// (inexpressible).
func compare(before, after *install, dropped []Item, stubbed map[string]bool, r *Report) {
	keys := before.keys()
	for _, k := range after.keys() {
		if _, ok := before.settings[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if (before.dex == nil || stubbed["dex"]) && strings.HasPrefix(k, "dex ") {
			continue // Dex stood in for by an empty config: the report lists it as missing
		}
		b, inBefore := before.settings[k]
		a, inAfter := after.settings[k]
		if stubbed[b.Object] {
			continue // the render stood in an empty object: the report lists it as missing
		}
		item := Item{Setting: k, Was: b.Value, Becomes: a.Value, Object: b.Object, Field: b.Field}
		if inBefore && !inAfter && b.Value == "" {
			continue // empty in the install, absent in the render: nothing to say
		}
		switch {
		case inBefore && inAfter && b.Value == a.Value:
			if b.Object != "" { // an oauth2-proxy default both leave unset is not news
				r.Carried = append(r.Carried, item)
			}
		case !inBefore:
			item.Object, item.Field = a.Object, a.Field
			item.Why = why(k, b.Value, a.Value, true)
			r.Changed = append(r.Changed, item)
		default:
			w := why(k, b.Value, a.Value, inAfter)
			if w == "" {
				item.Why = "no AuthConfig field reaches it; meshauth's output has " + orNone(a.Value)
				r.Inexpressible = append(r.Inexpressible, item)
				continue
			}
			item.Why = w
			r.Changed = append(r.Changed, item)
		}
	}
	for _, d := range dropped {
		r.Changed = append(r.Changed, d)
	}
}

// reasons say why meshauth renders a setting differently, by the setting's
// key (the longest matching prefix wins). A key without a reason that the
// render changed is one no AuthConfig field reaches.
var reasons = map[string]string{
	"oauth2-proxy client_id":                            "spec.oauth2Proxy.clientID (default oauth2-proxy)",
	"oauth2-proxy oidc_issuer_url":                      "spec.oidc.issuerURL (Dex's issuer with spec.dex)",
	"oauth2-proxy redirect_url":                         "meshauth writes the absolute callback on spec.publicURL (spec.oauth2Proxy.redirectURL); a relative one follows whatever Host the client sent",
	"oauth2-proxy relative_redirect_url":                "meshauth writes an absolute redirect_url on the publicURL, so the Host header cannot steer the callback",
	"oauth2-proxy scope":                                "spec.oidc.scopes (the provider profile's by default; offline_access is needed for cookie.refresh)",
	"oauth2-proxy prompt":                               "spec.oidc.prompt (none for Dex, omitted for corporate IdPs)",
	"oauth2-proxy cookie_name":                          "spec.oauth2Proxy.cookie.name",
	"oauth2-proxy cookie_expire":                        "spec.oauth2Proxy.cookie.expire (24h by default: Dex's ID tokens live 24h, and Istio checks that token)",
	"oauth2-proxy cookie_refresh":                       "spec.oauth2Proxy.cookie.refresh, derived from oidc.idTokenLifetime: a session must refresh before the ID token Istio verifies expires",
	"oauth2-proxy cookie_secure":                        "spec.oauth2Proxy.cookie.secure must follow the publicURL's scheme (true for https)",
	"oauth2-proxy cookie_samesite":                      "spec.oauth2Proxy.cookie.sameSite (lax by default)",
	"oauth2-proxy cookie_domains":                       "spec.oauth2Proxy.cookie.domains",
	"oauth2-proxy email_domains":                        "spec.oauth2Proxy.emailDomains",
	"oauth2-proxy api_routes":                           "spec.oauth2Proxy.apiRoutes",
	"oauth2-proxy skip_auth_routes":                     "meshauth serves public paths at the gateway (spec.publicPaths, plain paths only: docs/public-paths.md), so oauth2-proxy never sees them and skips nothing",
	"oauth2-proxy session_store_type":                   "spec.oauth2Proxy.sessionStore",
	"oauth2-proxy redis_":                               "spec.oauth2Proxy.sessionStore.redis",
	"oauth2-proxy client_secret":                        "a secret is never written in a ConfigMap or Deployment: meshauth reads it from spec.oauth2Proxy.clientSecretRef (create that Secret key with the same value; import does not copy it)",
	"oauth2-proxy cookie_secret":                        "a secret is never written in a ConfigMap or Deployment: meshauth reads it from spec.oauth2Proxy.cookieSecretRef (create that Secret key with the same value; import does not copy it)",
	"oauth2-proxy oidc_email_claim":                     "spec.identityHeaders.user.claim: one claim is the user id on every path",
	"oauth2-proxy user_id_claim":                        "spec.identityHeaders.user.claim: one claim is the user id on every path",
	"oauth2-proxy oidc_groups_claim":                    "spec.identityHeaders.groups.claim",
	"oauth2-proxy insecure_oidc_allow_unverified_email": "spec.oidc.allowUnverifiedEmail",
	"oauth2-proxy backend_logout_url":                   "spec.logout.endSessionURL",
	"oauth2-proxy whitelist_domains":                    "meshauth allows redirects to the publicURL host (and the end-session host) only",
	"oauth2-proxy skip_jwt_bearer_tokens":               "bearer tokens never reach oauth2-proxy under meshauth: the CUSTOM policy skips requests with Authorization and Istio's RequestAuthentication verifies them (spec.machineIssuers), so the option would be dead",
	"oauth2-proxy extra_jwt_issuers":                    "bearer tokens are Istio's to verify (spec.machineIssuers), not oauth2-proxy's",
	"oauth2-proxy ssl_insecure_skip_verify":             "meshauth verifies the IdP's TLS certificate; skipping it would trust whoever answers",
	"oauth2-proxy login_url":                            "derived from the issuer and publicURL (Dex: the browser reaches it on the publicURL)",
	"oauth2-proxy redeem_url":                           "derived from the issuer",
	"oauth2-proxy oidc_jwks_url":                        "derived from the issuer",
	"oauth2-proxy skip_oidc_discovery":                  "derived: on with the bundled Dex (its browser URL differs from its issuer), off otherwise",
	"oauth2-proxy provider":                             "meshauth runs oauth2-proxy's generic oidc provider for every profile",
	"oauth2-proxy provider_display_name":                "derived from spec.oidc.provider",
	"oauth2-proxy upstreams":                            "fixed: static://200, the only answer Envoy's ext_authz takes as allow",
	"oauth2-proxy http_address":                         "fixed: oauth2-proxy listens on 0.0.0.0:4180 behind its Service",
	"oauth2-proxy metrics_address":                      "fixed: metrics on 0.0.0.0:44180",
	"oauth2-proxy reverse_proxy":                        "fixed: false; the gateway sets the forwarded headers",
	"oauth2-proxy set_authorization_header":             "fixed: true; Istio's RequestAuthentication reads the ID token oauth2-proxy returns",
	"oauth2-proxy set_xauthrequest":                     "fixed: true; the check-server's cookie path reads X-Auth-Request-Email",
	"oauth2-proxy code_challenge_method":                "fixed: S256 (PKCE)",
	"oauth2-proxy skip_provider_button":                 "fixed: false with Dex (a sign-in page stops background requests from starting logins), true for corporate IdPs",
	"mesh provider type":                                "spec.checkServer.protocol picks http or grpc",
	"mesh provider service":                             "derived from spec.oauth2Proxy.namespace (or the check-server's)",
	"mesh provider port":                                "derived: oauth2-proxy's Service port",
	"mesh provider timeout":                             "spec.istio.extAuthzTimeout (10s by default): Istio's own default is 600s, so a hung oauth2-proxy would hold every request for ten minutes",
	"mesh provider includeRequestHeadersInCheck":        "fixed: the headers oauth2-proxy needs to find the session (cookie) and nothing more",
	"mesh provider includeAdditionalHeadersInCheck":     "fixed: meshauth adds no headers to the check",
	"mesh provider headersToUpstreamOnAllow":            "fixed: the ID token, which Istio's RequestAuthentication turns into the identity headers",
	"mesh provider headersToDownstreamOnDeny":           "fixed: what a browser needs from a deny (the redirect to sign in, its cookies)",
	"mesh provider headersToDownstreamOnAllow":          "fixed: set-cookie, so a refreshed session reaches the browser",
	"mesh provider pathPrefix":                          "fixed: oauth2-proxy's /oauth2/auth is asked through static://200",
	"mesh provider failOpen":                            "fixed: fail closed",
	"mesh provider statusOnError":                       "fixed: Envoy's default",
	"gateway namespace":                                 "spec.gateway.namespace",
	"gateway selector":                                  "spec.gateway.selector",
	"CUSTOM provider":                                   "spec.istio.providerName",
	"CUSTOM asks only requests without Authorization":   "fixed: requests with a bearer token go to Istio's RequestAuthentication, not oauth2-proxy",
	"public paths":                                      "spec.publicPaths open only plain paths under each prefix (a classifier EnvoyFilter), never notPaths, which also opened /dex/..%2F-style tricks to anonymous callers (docs/public-paths.md)",
	"DENY without a verified JWT":                       "meshauth refuses every request without a verified JWT outside /oauth2/ and the public paths: a bearer token Istio cannot verify must not reach an app",
	"jwt ":                                              "the RequestAuthentications follow spec.oidc (audiences pinned to the client id), spec.identityHeaders and spec.machineIssuers",
	"istiod PILOT_JWT_PUB_KEY_REFRESH_INTERVAL":         "spec.istio.jwksRefreshInterval (1m by default): istiod keeps a JWKS fetched before Dex was up for 20 minutes otherwise",
	"logout ":                               "spec.logout: a 302 to /oauth2/sign_out on the publicURL (GET and POST), before the dashboard's catch-all",
	"route /oauth2/":                        "meshauth routes /oauth2/ to oauth2-proxy's Service (spec.oauth2Proxy.namespace)",
	"dex issuer":                            "spec.dex.issuerURL",
	"dex client ":                           "meshauth merges oauth2-proxy's static client (spec.oauth2Proxy.clientID, redirect on spec.publicURL, secret from spec.dex.clientSecretRef) and spec.dex.clients into Dex's config; every other client is kept",
	"dex oauth2.passwordConnector":          "spec.dex.passwordConnector",
	"envoyfilter meshauth-identity-headers": "meshauth adds it: a client-sent identity header (kubeflow-userid, X-Auth-Request-*, ...) is removed first thing on the gateway",
	"envoyfilter meshauth-public-paths":     "meshauth adds it: the classifier that marks plain public paths (docs/public-paths.md)",
	"envoyfilter meshauth-access":           "meshauth's access rules (spec.access, docs/access.md): import does not read rules back yet; copy spec.access from the AuthConfig that rendered them",
	"access rules":                          "meshauth's access rules (spec.access, docs/access.md): import does not read rules back yet; copy spec.access from the AuthConfig that rendered them",
	"check-server ":                         "the check-server's config follows spec.checkServer, spec.identityHeaders, spec.publicPaths, spec.oidc and spec.machineIssuers",
	"mesh other ext_authz provider":         "kept: meshauth merges its provider into the mesh config and keeps every other",
}

func why(key, was, becomes string, rendered bool) string {
	best := ""
	for p := range reasons {
		// A reason names a whole setting, or a family when it ends in a
		// space or underscore: "oauth2-proxy provider" is not provider_ca_files.
		fits := key == p || strings.HasPrefix(key, p) && (strings.HasSuffix(p, " ") || strings.HasSuffix(p, "_") || key[len(p)] == ' ')
		if fits && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return ""
	}
	w := reasons[best]
	if strings.HasPrefix(was, "written in ") && !strings.HasPrefix(becomes, "written in ") {
		w = "a secret written in " + strings.TrimPrefix(was, "written in ") + ": meshauth reads it from a Secret (name above); create that Secret key with the same value (import never copies a secret). " + w
	}
	if !rendered {
		w += "; meshauth does not set it"
	}
	return w
}
