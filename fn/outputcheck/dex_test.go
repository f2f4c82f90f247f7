package outputcheck

import "testing"

// validDex is Kubeflow's Dex config with the oauth2-proxy client.
const validDex = `issuer: http://dex.auth.svc.cluster.local:5556/dex
storage:
  type: kubernetes
  config:
    inCluster: true
web:
  http: 0.0.0.0:5556
logger:
  level: debug
  format: text
expiry:
  idTokens: 1h
  refreshTokens:
    validIfNotUsedFor: 168h
oauth2:
  skipApprovalScreen: true
  passwordConnector: local
enablePasswordDB: true
staticPasswords:
- email: user@example.com
  hashFromEnv: DEX_USER_PASSWORD
  username: user
  userID: "15841185641784"
staticClients:
- id: oauth2-proxy
  name: oauth2-proxy
  secretEnv: OIDC_CLIENT_SECRET
  redirectURIs: ["/oauth2/callback", "https://kubeflow.example.com/oauth2/callback"]
connectors:
- type: oidc
  id: corp
  name: Corp SSO
  config: {issuer: https://sso.example.com, anythingGoes: true}
`

func TestDexConfig(t *testing.T) {
	const obj = "ConfigMap auth/dex: data[config.yaml]"
	dex := func(cfg string) string { return configMap("auth", "dex", "config.yaml", cfg) }
	tests := map[string]problemCase{
		"valid": {doc: dex(validDex)},
		"misspelled key Dex would ignore": {
			doc:  dex(replace(validDex, "redirectURIs", "redirectUris")),
			want: []string{obj + ".staticClients[0].redirectUris: unknown field"},
		},
		"wrong case Dex would accept": {
			doc:  dex(replace(validDex, "staticClients:", "staticclients:")),
			want: []string{obj + ".staticclients: unknown field"},
		},
		"client without id": {
			doc:  dex(replace(validDex, "- id: oauth2-proxy\n  name:", "- name:")),
			want: []string{obj + ".staticClients[0]: id or idEnv required"},
		},
		"client without secret": {
			doc:  dex(replace(validDex, "  secretEnv: OIDC_CLIENT_SECRET\n", "")),
			want: []string{obj + ".staticClients[0]: secret, secretEnv or public: true required"},
		},
		"public client needs no secret": {
			doc: dex(replace(validDex, "  secretEnv: OIDC_CLIENT_SECRET\n", "  public: true\n")),
		},
		"relative redirect URI without slash": {
			doc:  dex(replace(validDex, `"/oauth2/callback"`, `"oauth2/callback"`)),
			want: []string{obj + ".staticClients[0].redirectURIs[0]: must be an absolute URL or start with /"},
		},
		"unknown storage type": {
			doc:  dex(replace(validDex, "type: kubernetes", "type: kube")),
			want: []string{obj + `.storage.type: unknown type "kube"; one of etcd, kubernetes, memory, sqlite3, postgres, mysql`},
		},
		"typo in kubernetes storage config": {
			doc:  dex(replace(validDex, "inCluster", "incluster")),
			want: []string{obj + ".storage.config.incluster: unknown field"},
		},
		"storage missing": {
			doc:  dex(replace(validDex, "storage:\n  type: kubernetes\n  config:\n    inCluster: true\n", "")),
			want: []string{obj + ".storage.type: required"},
		},
		"bad duration": {
			doc:  dex(replace(validDex, "idTokens: 1h", "idTokens: 1 hour")),
			want: []string{obj + `.expiry.idTokens: not a duration: "1 hour"`},
		},
		"bad logger": {
			doc:  dex(replace(replace(validDex, "level: debug", "level: verbose"), "format: text", "format: logfmt")),
			want: []string{obj + ".logger.format: must be json or text", obj + ".logger.level: must be debug, info, warn or error"},
		},
		"no issuer, no listener": {
			doc:  dex(replace(replace(validDex, "issuer: http://dex.auth.svc.cluster.local:5556/dex\n", ""), "  http: 0.0.0.0:5556\n", "  allowedOrigins: ['*']\n")),
			want: []string{obj + ".issuer: required", obj + ".web: http or https listen address required"},
		},
		"static passwords without the password DB": {
			doc:  dex(replace(validDex, "enablePasswordDB: true", "enablePasswordDB: false")),
			want: []string{obj + ".oauth2.passwordConnector: local needs enablePasswordDB: true", obj + ".staticPasswords: needs enablePasswordDB: true"},
		},
		"password connector that does not exist": {
			doc:  dex(replace(validDex, "passwordConnector: local", "passwordConnector: ldap")),
			want: []string{obj + `.oauth2.passwordConnector: no connector with id "ldap"`},
		},
		"connector type unknown": {
			doc:  dex(replace(validDex, "type: oidc", "type: openid")),
			want: []string{obj + `.connectors[0].type: unknown connector type "openid"`},
		},
		"only the dex ConfigMap is Dex's config": {
			doc: configMap("auth", "other", "config.yaml", "anything: 1\n"),
		},
	}
	checkProblems(t, tests)
}
