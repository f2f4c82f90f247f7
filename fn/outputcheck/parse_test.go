package outputcheck

import (
	"testing"

	securityv1beta1 "istio.io/api/security/v1beta1"
)

// TestExportedParsers: the readers fn/importer uses say what the checks
// say, and read what the programs themselves would read.
func TestExportedParsers(t *testing.T) {
	if k, ok := OAuth2ProxyOption("cookie_expire"); !ok || k != OptionDuration {
		t.Errorf("cookie_expire = %q %v", k, ok)
	}
	if _, ok := OAuth2ProxyOption("cookie_expiry"); ok {
		t.Error("cookie_expiry is not an option")
	}
	cfg, ps := OAuth2ProxyConfig("cookie_refresh = 3600\nclient_secret = \"x\"\nemail_domains = [\"*\"]\n")
	if cfg == nil || len(ps) != 2 || ps[0].Field != "client_secret" || ps[1].Field != "cookie_refresh" {
		t.Errorf("cfg %v, problems %v", cfg, ps)
	}
	if cfg, _ := OAuth2ProxyConfig("provider = \"oidc"); cfg != nil {
		t.Error("invalid TOML read")
	}
	d, ps := DexConfig("issuer: http://dex/dex\nstorage: {type: memory}\nweb: {http: 0.0.0.0:5556}\noauth2: {skipAprovalScreen: true}\nstaticClients:\n- {id: a, secret: s, redirectURIs: [/cb]}\n")
	if d.Issuer != "http://dex/dex" || len(d.StaticClients) != 1 || !d.StaticClients[0].HasSecret || len(ps) != 1 {
		t.Errorf("dex %+v, problems %v (read as Dex reads it, the typo reported)", d, ps)
	}
	mc, ps := MeshConfig("extensionProviders:\n- name: x\n  envoyExtAuthzHttp: {service: a.b.svc.cluster.local, port: 80, includeHeadersInCheck: [cookie]}\n")
	if mc == nil || len(mc.GetExtensionProviders()) != 1 || len(ps) != 1 {
		t.Errorf("mesh %v, problems %v (deprecated field honoured and reported)", mc, ps)
	}
	if mc, _ := MeshConfig("extensionProviders: ["); mc != nil {
		t.Error("invalid YAML read")
	}
	var ap securityv1beta1.AuthorizationPolicy
	if ps, ok := IstioSpecLenient([]byte("action: CUSTOM\nprovider: {name: p}\nbogus: 1\n"), &ap); !ok || len(ps) != 1 || ap.GetProvider().GetName() != "p" {
		t.Errorf("policy %v, problems %v, ok %v", &ap, ps, ok)
	}
}
