// Package config is the check-server configuration contract: the YAML file
// passed with --config. The AuthConfig generator emits it as a ConfigMap from
// these types, so field names and defaults here are an API.
package config

import (
	"strconv"
	"time"

	"meshauth.dev/meshauth/checkserver/access"
)

// Config is the whole check-server configuration.
type Config struct {
	// Listen holds the listen addresses of the three servers.
	Listen Listen `json:"listen"`
	// HTTPPathPrefix is the Istio envoyExtAuthzHttp pathPrefix: Envoy prepends
	// it to the original path, the HTTP front end strips it again.
	HTTPPathPrefix string `json:"httpPathPrefix,omitempty"`
	// Issuers are the JWT issuers whose bearer tokens are accepted.
	Issuers []Issuer `json:"issuers,omitempty"`
	// Kubernetes configures service-account token checks through TokenReview.
	Kubernetes Kubernetes `json:"kubernetes"`
	// OAuth2Proxy is where session cookies are checked.
	OAuth2Proxy OAuth2Proxy `json:"oauth2Proxy"`
	// Identity says how an identity becomes upstream headers.
	Identity Identity `json:"identity"`
	// APIRoutes are regular expressions on the request path (as oauth2-proxy's
	// api_routes): an unauthenticated request matching one gets 401, not a redirect.
	APIRoutes []string `json:"apiRoutes,omitempty"`
	// SkipAuthPaths are path prefixes, matched on segment boundaries after
	// normalisation, that are allowed without credentials.
	SkipAuthPaths []string `json:"skipAuthPaths,omitempty"`
	// Access are the AuthConfig's access rules, the same policy the gateway
	// enforces for oauth2-proxy, so both authorizers admit the same
	// requests. Without rules or machine hosts it adds nothing to
	// SkipAuthPaths and "any signed-in identity".
	Access access.Policy `json:"access,omitzero"`
	// MaxTokenBytes caps the size of a bearer token; larger ones are invalid.
	MaxTokenBytes int `json:"maxTokenBytes"`
	// Cache is the verified-token cache.
	Cache Cache `json:"cache"`
	// JWKS tunes key refreshing for every issuer.
	JWKS JWKS `json:"jwks"`
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway Duration `json:"leeway"`
	// ShutdownTimeout bounds how long in-flight checks may take after SIGTERM.
	ShutdownTimeout Duration `json:"shutdownTimeout"`
}

// Listen addresses. An empty HTTP or GRPC address disables that front end.
type Listen struct {
	HTTP string `json:"http"`
	GRPC string `json:"grpc"`
	Ops  string `json:"ops"`
}

// Issuer is one trusted JWT issuer.
type Issuer struct {
	// Issuer must equal the token's iss claim exactly.
	Issuer string `json:"issuer"`
	// Discovery fetches {issuer}/.well-known/openid-configuration for jwks_uri.
	Discovery bool `json:"discovery,omitempty"`
	// JWKSURI is the key set URL; required unless Discovery is set.
	JWKSURI string `json:"jwksURI,omitempty"`
	// CAFile is a PEM bundle that replaces the system roots for this issuer,
	// e.g. /var/run/secrets/kubernetes.io/serviceaccount/ca.crt.
	CAFile string `json:"caFile,omitempty"`
	// BearerTokenFile, when set, is sent as a bearer token on discovery and
	// JWKS fetches (the API server's /openid/v1/jwks needs an authenticated
	// caller). Re-read on every fetch because projected tokens rotate.
	BearerTokenFile string `json:"bearerTokenFile,omitempty"`
	// AllowHTTP permits plain-http discovery and JWKS URLs (in-cluster Dex).
	AllowHTTP bool `json:"allowHTTP,omitempty"`
	// Audiences: the token's aud must contain at least one of them.
	Audiences []string `json:"audiences"`
	// Algorithms is the allow-list of signature algorithms (asymmetric only).
	Algorithms []string `json:"algorithms,omitempty"`
	// UserClaim names the claim that becomes the user (default "sub").
	UserClaim string `json:"userClaim,omitempty"`
	// GroupsClaim names the claim holding a list of groups (default "groups").
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// Required issuers must have keys loaded before /readyz reports ready.
	Required bool `json:"required,omitempty"`
	// RequireVerifiedEmail refuses a token whose email_verified claim is
	// false (the boolean, or the string some IdPs send), as oauth2-proxy
	// refuses such a login; a token without the claim passes.
	RequireVerifiedEmail bool `json:"requireVerifiedEmail,omitempty"`
}

// Kubernetes groups the in-cluster integrations.
type Kubernetes struct {
	TokenReview TokenReview `json:"tokenReview"`
}

// TokenReview checks tokens from issuers not listed in Issuers with the API
// server (authentication.k8s.io/v1).
type TokenReview struct {
	Enabled bool `json:"enabled,omitempty"`
	// Audiences are sent as spec.audiences; empty means the API server's own.
	Audiences []string `json:"audiences,omitempty"`
	// CacheTTL caps how long a positive review is cached (never past token exp).
	CacheTTL Duration `json:"cacheTTL"`
	// Timeout bounds one TokenReview call.
	Timeout Duration `json:"timeout"`
	// APIServer, TokenFile and CAFile default to the in-cluster values.
	APIServer string `json:"apiServer"`
	TokenFile string `json:"tokenFile"`
	CAFile    string `json:"caFile"`
	// NegativeCacheTTL is how long a token the API server did not
	// authenticate is refused without asking again (keyed by its hash).
	NegativeCacheTTL Duration `json:"negativeCacheTTL"`
	// MaxConcurrent caps TokenReview calls in flight; RatePerSecond (with a
	// burst of the same size) caps how many start per second. A call over
	// either limit is not made and the token is refused (401), never allowed.
	MaxConcurrent int `json:"maxConcurrent"`
	RatePerSecond int `json:"ratePerSecond"`
}

// OAuth2Proxy is the session-cookie authority. An empty URL disables cookies.
type OAuth2Proxy struct {
	// URL is the in-cluster base URL of oauth2-proxy.
	URL string `json:"url"`
	// AuthPath is oauth2-proxy's auth-only endpoint.
	AuthPath string `json:"authPath"`
	// SignInPath is where browsers are redirected, on the public host.
	SignInPath string `json:"signInPath"`
	// Timeout bounds one call to oauth2-proxy.
	Timeout Duration `json:"timeout"`
	// CookieName, when set, limits delegation to requests carrying that
	// cookie (or its _N split parts); other requests skip the round trip.
	CookieName string `json:"cookieName,omitempty"`
	// UserHeader and GroupsHeader are the oauth2-proxy response headers read.
	UserHeader   string `json:"userHeader"`
	GroupsHeader string `json:"groupsHeader"`
	// SessionCache holds the identity oauth2-proxy returned for a session
	// cookie for a short time, so most browser requests skip the round trip.
	SessionCache SessionCache `json:"sessionCache"`
	// SignOutPaths are paths (exact, query ignored) on which the request's
	// cached session is dropped before the check: oauth2-proxy's sign-out
	// and the routes that redirect to it.
	SignOutPaths []string `json:"signOutPaths,omitempty"`
}

// SessionCache is the cookie-session cache, keyed by the SHA-256 of the
// session cookie(s). Only allows without a refreshed cookie are cached.
type SessionCache struct {
	// Size is the number of sessions held; 0 turns the cache off.
	Size int `json:"size"`
	// TTL is how long oauth2-proxy's answer is reused (at most 5m; the
	// generator keeps it below the cookie refresh interval).
	TTL Duration `json:"ttl"`
}

// Identity maps an authenticated identity onto upstream headers.
type Identity struct {
	UserHeader string `json:"userHeader"`
	UserPrefix string `json:"userPrefix,omitempty"`
	// UserTransformers are tried in order; the first whose Match matches
	// rewrites the user with Replace (regexp.ReplaceAllString syntax).
	UserTransformers []Transformer `json:"userTransformers,omitempty"`
	GroupsHeader     string        `json:"groupsHeader"`
	// GroupsFormat is how the groups header is written: csv (comma-joined,
	// the default) or json-base64 (base64 of the JSON list, what Envoy's
	// jwt_authn writes for a list claim), so every path of one AuthConfig
	// writes one format.
	GroupsFormat string `json:"groupsFormat,omitempty"`
	// AllowedGroups, when non-empty, admits only identities in one of them.
	AllowedGroups []string `json:"allowedGroups,omitempty"`
	// StripHeaders are client-sent headers removed on every allow in
	// addition to DefaultStripHeaders (userHeader and groupsHeader are always
	// removed unless set by us).
	StripHeaders []string `json:"stripHeaders,omitempty"`
	// KeepHeaders names entries of DefaultStripHeaders that are not removed
	// (an upstream that really wants a client's X-Auth-Request-*).
	KeepHeaders []string `json:"keepHeaders,omitempty"`
}

// Groups header formats.
const (
	GroupsCSV        = "csv"
	GroupsJSONBase64 = "json-base64"
)

// DefaultStripHeaders are always removed from an allowed request unless
// named in identity.keepHeaders: oauth2-proxy's identity headers, which
// upstreams written for oauth2-proxy trust.
var DefaultStripHeaders = []string{"x-auth-request-user", "x-auth-request-email", "x-auth-request-groups", "x-auth-request-preferred-username"}

// Transformer is one regex rewrite of the user name.
type Transformer struct {
	Match   string `json:"match"`
	Replace string `json:"replace"`
}

// Cache is the verified-token cache. Size 0 turns it off.
type Cache struct {
	Size   int      `json:"size"`
	MaxTTL Duration `json:"maxTTL"`
}

// JWKS tunes key fetching.
type JWKS struct {
	// RefreshInterval is the background refresh period.
	RefreshInterval Duration `json:"refreshInterval"`
	// MinRefetchInterval rate-limits refetches triggered by an unknown kid.
	MinRefetchInterval Duration `json:"minRefetchInterval"`
	// Timeout bounds one discovery or JWKS fetch.
	Timeout Duration `json:"timeout"`
}

// In-cluster defaults, exported so the generator can refer to them.
const (
	InClusterAPIServer = "https://kubernetes.default.svc"
	InClusterTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	InClusterCAFile    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
)

// The default listener ports. The generator's Service, container ports and
// mesh provider use these numbers, so they are defined here once.
const (
	HTTPPort = 8080
	GRPCPort = 9000
	OpsPort  = 8081
)

// The default identity headers, shared with the AuthConfig's defaults
// (fn/api), so the function and a check-server run without a config agree.
const (
	DefaultUserHeader   = "kubeflow-userid"
	DefaultGroupsHeader = "kubeflow-groups"
)

// Default returns the configuration used for every field the file omits.
func Default() Config {
	return Config{
		Listen: Listen{HTTP: ":" + strconv.Itoa(HTTPPort), GRPC: ":" + strconv.Itoa(GRPCPort), Ops: ":" + strconv.Itoa(OpsPort)},
		Kubernetes: Kubernetes{TokenReview: TokenReview{
			CacheTTL:  D(2 * time.Minute),
			Timeout:   D(5 * time.Second),
			APIServer: InClusterAPIServer,
			TokenFile: InClusterTokenFile,
			CAFile:    InClusterCAFile,

			NegativeCacheTTL: D(30 * time.Second),
			MaxConcurrent:    16,
			RatePerSecond:    100,
		}},
		OAuth2Proxy: OAuth2Proxy{
			URL:          "http://oauth2-proxy.oauth2-proxy.svc.cluster.local",
			AuthPath:     "/oauth2/auth",
			SignInPath:   "/oauth2/start",
			Timeout:      D(3 * time.Second),
			UserHeader:   "X-Auth-Request-Email",
			GroupsHeader: "X-Auth-Request-Groups",
			SessionCache: SessionCache{Size: 10000, TTL: D(10 * time.Second)},
			SignOutPaths: []string{"/oauth2/sign_out"},
		},
		Identity: Identity{
			UserHeader:   DefaultUserHeader,
			GroupsHeader: DefaultGroupsHeader,
		},
		MaxTokenBytes: 16 << 10,
		Cache:         Cache{Size: 10000, MaxTTL: D(5 * time.Minute)},
		JWKS: JWKS{
			RefreshInterval:    D(5 * time.Minute),
			MinRefetchInterval: D(10 * time.Second),
			Timeout:            D(5 * time.Second),
		},
		Leeway:          D(30 * time.Second),
		ShutdownTimeout: D(20 * time.Second),
	}
}

// applyDefaults fills the per-issuer defaults that Default cannot express
// because issuers are a list.
func (i *Issuer) applyDefaults() {
	if len(i.Algorithms) == 0 {
		i.Algorithms = []string{"RS256"}
	}
	if i.UserClaim == "" {
		i.UserClaim = "sub"
	}
	if i.GroupsClaim == "" {
		i.GroupsClaim = "groups"
	}
}

// WithDefaults returns c with per-issuer defaults applied. Load calls it;
// programmatic users building a Config by hand should too.
func (c Config) WithDefaults() Config {
	out := c
	// Limits added after the first release: a zero (a TokenReview section
	// built by hand) means the default, never "unlimited".
	tr, def := &out.Kubernetes.TokenReview, Default().Kubernetes.TokenReview
	if tr.NegativeCacheTTL.Duration == 0 {
		tr.NegativeCacheTTL = def.NegativeCacheTTL
	}
	if tr.MaxConcurrent == 0 {
		tr.MaxConcurrent = def.MaxConcurrent
	}
	if tr.RatePerSecond == 0 {
		tr.RatePerSecond = def.RatePerSecond
	}
	out.Issuers = make([]Issuer, len(c.Issuers))
	for i, is := range c.Issuers {
		is.applyDefaults()
		out.Issuers[i] = is
	}
	return out
}
