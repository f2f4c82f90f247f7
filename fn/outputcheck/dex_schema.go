package outputcheck

import "encoding/json"

// The Dex config schema, written from Dex v2.45's documented config fields
// (config.yaml.dist and cmd/dex/config.go). Dex decodes its config with
// encoding/json after YAML→JSON, which ignores unknown keys and matches
// names case-insensitively, so "redirectUris" or "staticclients" are
// silently dropped. Decoding strictly into these types turns that silence
// into a problem with a path. Free-form parts (connector and storage
// configs) stay json.RawMessage and are checked per type where the keys are
// few and stable.

type dexConfig struct {
	Issuer           string         `json:"issuer"`
	Storage          *dexStorage    `json:"storage"`
	Web              dexWeb         `json:"web"`
	Telemetry        dexTelemetry   `json:"telemetry"`
	OAuth2           dexOAuth2      `json:"oauth2"`
	GRPC             dexGRPC        `json:"grpc"`
	Expiry           dexExpiry      `json:"expiry"`
	Logger           dexLogger      `json:"logger"`
	Frontend         dexFrontend    `json:"frontend"`
	Signer           *dexPluggable  `json:"signer"`
	Connectors       []dexConnector `json:"connectors"`
	StaticClients    []dexClient    `json:"staticClients"`
	EnablePasswordDB bool           `json:"enablePasswordDB"`
	StaticPasswords  []dexPassword  `json:"staticPasswords"`
}

type dexStorage = dexPluggable

// dexPluggable is a {type, config} pair whose config depends on type
// (storage, signer).
type dexPluggable struct {
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config"`
}

type dexWeb struct {
	HTTP           string            `json:"http"`
	HTTPS          string            `json:"https"`
	Headers        dexHeaders        `json:"headers"`
	TLSCert        string            `json:"tlsCert"`
	TLSKey         string            `json:"tlsKey"`
	TLSMinVersion  string            `json:"tlsMinVersion"`
	TLSMaxVersion  string            `json:"tlsMaxVersion"`
	AllowedOrigins []string          `json:"allowedOrigins"`
	AllowedHeaders []string          `json:"allowedHeaders"`
	ClientRemoteIP dexClientRemoteIP `json:"clientRemoteIP"`
}

type dexHeaders struct {
	ContentSecurityPolicy   string `json:"Content-Security-Policy"`
	XFrameOptions           string `json:"X-Frame-Options"`
	XContentTypeOptions     string `json:"X-Content-Type-Options"`
	XXSSProtection          string `json:"X-XSS-Protection"`
	StrictTransportSecurity string `json:"Strict-Transport-Security"`
}

type dexClientRemoteIP struct {
	Header         string   `json:"header"`
	TrustedProxies []string `json:"trustedProxies"`
}

type dexTelemetry struct {
	HTTP            string `json:"http"`
	EnableProfiling bool   `json:"enableProfiling"`
}

type dexGRPC struct {
	Addr          string `json:"addr"`
	TLSCert       string `json:"tlsCert"`
	TLSKey        string `json:"tlsKey"`
	TLSClientCA   string `json:"tlsClientCA"`
	TLSMinVersion string `json:"tlsMinVersion"`
	TLSMaxVersion string `json:"tlsMaxVersion"`
	Reflection    bool   `json:"reflection"`
}

type dexOAuth2 struct {
	GrantTypes            []string `json:"grantTypes"`
	ResponseTypes         []string `json:"responseTypes"`
	SkipApprovalScreen    bool     `json:"skipApprovalScreen"`
	AlwaysShowLoginScreen bool     `json:"alwaysShowLoginScreen"`
	PasswordConnector     string   `json:"passwordConnector"`
}

type dexExpiry struct {
	SigningKeys    string          `json:"signingKeys"`
	IDTokens       string          `json:"idTokens"`
	AuthRequests   string          `json:"authRequests"`
	DeviceRequests string          `json:"deviceRequests"`
	RefreshTokens  dexRefreshToken `json:"refreshTokens"`
}

type dexRefreshToken struct {
	DisableRotation   bool   `json:"disableRotation"`
	ReuseInterval     string `json:"reuseInterval"`
	AbsoluteLifetime  string `json:"absoluteLifetime"`
	ValidIfNotUsedFor string `json:"validIfNotUsedFor"`
}

type dexLogger struct {
	Level  string `json:"level"`
	Format string `json:"format"`
}

// dexFrontend is server.WebConfig, which has no JSON tags in Dex; the
// documented spelling is lowerCamel.
type dexFrontend struct {
	Dir     string            `json:"dir"`
	LogoURL string            `json:"logoURL"`
	Issuer  string            `json:"issuer"`
	Theme   string            `json:"theme"`
	Extra   map[string]string `json:"extra"`
}

type dexConnector struct {
	Type   string          `json:"type"`
	ID     string          `json:"id"`
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

type dexClient struct {
	ID           string   `json:"id"`
	IDEnv        string   `json:"idEnv"`
	Secret       string   `json:"secret"`
	SecretEnv    string   `json:"secretEnv"`
	RedirectURIs []string `json:"redirectURIs"`
	TrustedPeers []string `json:"trustedPeers"`
	Public       bool     `json:"public"`
	Name         string   `json:"name"`
	LogoURL      string   `json:"logoURL"`
}

type dexPassword struct {
	Email             string   `json:"email"`
	Username          string   `json:"username"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferredUsername"`
	EmailVerified     *bool    `json:"emailVerified"`
	UserID            string   `json:"userID"`
	Hash              string   `json:"hash"`
	HashFromEnv       string   `json:"hashFromEnv"`
	Groups            []string `json:"groups"`
}

// Known values, from Dex's storage, signer and connector registries.
var (
	dexStorageTypes   = []string{"etcd", "kubernetes", "memory", "sqlite3", "postgres", "mysql"}
	dexSignerTypes    = []string{"local", "vault"}
	dexConnectorTypes = []string{"keystone", "mockCallback", "mockPassword", "ldap", "gitea", "github", "gitlab", "google", "oidc", "oauth", "saml", "authproxy", "linkedin", "microsoft", "bitbucket-cloud", "openshift", "atlassian-crowd", "samlExperimental"}
	dexGrantTypes     = []string{"authorization_code", "refresh_token", "implicit", "password", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange"}
	dexResponseTypes  = []string{"code", "token", "id_token"}
)

// Storage configs with a small fixed key set, strictly decoded too.
type dexKubernetesStorage struct {
	InCluster      bool   `json:"inCluster"`
	KubeConfigFile string `json:"kubeConfigFile"`
	CRDHandling    string `json:"crdHandling"`
}

type dexMemoryStorage struct{}

type dexLocalSigner struct {
	KeysRotationPeriod string `json:"keysRotationPeriod"`
}
