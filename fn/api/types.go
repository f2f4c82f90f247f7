// Package api holds the AuthConfig resource: its Go types, strict decoding,
// defaulting to the Kubeflow layout, and validation with field paths.
package api

import "strings"

const (
	Group      = "meshauth.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "AuthConfig"
)

// ManagedBy values of spec.istio.managedBy: who installs Istio (istiod and its mesh config).
const (
	// ManagedByPackage: the mesh ConfigMap and istiod are in what the function sees (the
	// kustomization's resources, the kpt package) and are patched there.
	ManagedByPackage = "package"
	// ManagedByExternal: Istio is installed elsewhere (istioctl, Helm, an operator); nothing of
	// it is patched, and the function prints what to add there.
	ManagedByExternal = "external"
)

// Gateway API values of spec.gateway.api: which API the gateway is configured through.
const (
	// GatewayIstio: a networking.istio.io Gateway; routes are VirtualServices bound to it and
	// the policies select the gateway pods by spec.gateway.selector (the classic ingress).
	GatewayIstio = "istio"
	// GatewayAPI: a Kubernetes Gateway (gateway.networking.k8s.io) of class istio; routes are
	// HTTPRoutes whose parentRefs name it and the policies attach to it by targetRefs.
	GatewayAPI = "gateway-api"
)

// GatewayNameLabel is the pod label Istio reads to tell a Gateway API gateway's pods: a
// targetRefs policy applies only to pods that carry it, with the Gateway's name.
const GatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// Authorizer values: who answers Istio's CUSTOM ext_authz check.
const (
	AuthorizerOAuth2Proxy = "oauth2-proxy"
	AuthorizerCheckServer = "check-server"
)

// AuthConfig is the one resource a user writes.
type AuthConfig struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       Spec       `json:"spec"`
}

// ObjectMeta is the part of Kubernetes metadata an AuthConfig may carry; the
// orchestrators (kpt, kustomize) add annotations, so those are kept free-form.
type ObjectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type Spec struct {
	// PublicURL is the external URL users reach the gateway at; every browser
	// redirect (callback, sign-in, logout) is derived from it.
	PublicURL string `json:"publicURL"`
	// PublicPaths are path prefixes served without authentication (Dex's
	// login pages by default): the notPaths of the Istio policies, or
	// check-server's skip paths (docs/authconfig.md).
	PublicPaths []string `json:"publicPaths,omitempty"`
	Gateway     Gateway  `json:"gateway,omitempty"`
	// Dex is the bundled identity provider. Omit it and set oidc.issuerURL to
	// log users in against an external provider instead.
	Dex             *Dex            `json:"dex,omitempty"`
	OIDC            OIDC            `json:"oidc,omitempty"`
	OAuth2Proxy     OAuth2Proxy     `json:"oauth2Proxy,omitempty"`
	IdentityHeaders IdentityHeaders `json:"identityHeaders,omitempty"`
	// MachineIssuers are JWT issuers trusted for machine-to-machine calls.
	MachineIssuers []MachineIssuer `json:"machineIssuers,omitempty"`
	Istio          Istio           `json:"istio,omitempty"`
	Logout         Logout          `json:"logout,omitempty"`
	// Authorizer answers the CUSTOM ext_authz check: oauth2-proxy or check-server.
	Authorizer  string      `json:"authorizer,omitempty"`
	CheckServer CheckServer `json:"checkServer,omitempty"`
	// Access says who may reach what, per host and path (docs/access.md);
	// without it every signed-in identity reaches every path.
	Access Access `json:"access,omitempty"`

	// urls is set by Load (URLs).
	urls URLs
}

type Gateway struct {
	// API is how the gateway is configured: istio (a networking.istio.io
	// Gateway with VirtualServices, the default) or gateway-api (a Kubernetes
	// Gateway with HTTPRoutes and targetRefs policies; docs/gateway-api.md).
	API       string            `json:"api,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
	// Name is the Gateway ("namespace/name") generated VirtualServices attach
	// to; with api: gateway-api, the Kubernetes Gateway the HTTPRoutes name as
	// parent and the policies target, in spec.gateway.namespace.
	Name string `json:"name,omitempty"`
}

// GatewayAPI reports whether the gateway is a Kubernetes Gateway (api: gateway-api).
func (g Gateway) GatewayAPI() bool { return g.API == GatewayAPI }

// GatewayName is the Gateway's name without its namespace.
func (g Gateway) GatewayName() string {
	if _, name, ok := strings.Cut(g.Name, "/"); ok {
		return name
	}
	return g.Name
}

type Dex struct {
	Namespace string `json:"namespace,omitempty"`
	// ConfigMap and Deployment name Dex's objects; the function merges its
	// static clients into the ConfigMap's config.yaml and the client secrets
	// into the Deployment's env.
	ConfigMap  string `json:"configMap,omitempty"`
	Deployment string `json:"deployment,omitempty"`
	Container  string `json:"container,omitempty"`
	IssuerURL  string `json:"issuerURL,omitempty"`
	// ClientSecretRef is the Secret in Dex's namespace holding oauth2-proxy's
	// client secret: the same value as oauth2Proxy.clientSecretRef, from one file.
	ClientSecretRef SecretKeyRef `json:"clientSecretRef,omitempty"`
	Clients         []DexClient  `json:"clients,omitempty"`
	// PasswordConnector enables Dex's password grant for machine clients
	// (oauth2.passwordConnector), e.g. local for the static password DB.
	PasswordConnector string `json:"passwordConnector,omitempty"`
}

// DexClient is an extra static client registered in Dex.
type DexClient struct {
	ID           string   `json:"id"`
	Name         string   `json:"name,omitempty"`
	RedirectURIs []string `json:"redirectURIs,omitempty"`
	Public       bool     `json:"public,omitempty"`
	// SecretRef is required unless the client is public.
	SecretRef *SecretKeyRef `json:"secretRef,omitempty"`
}

type OIDC struct {
	// IssuerURL is what oauth2-proxy logs users in against; defaults to Dex.
	IssuerURL string   `json:"issuerURL,omitempty"`
	Scopes    []string `json:"scopes,omitempty"`
	// Provider is the profile (docs/providers/): dex, keycloak, entra, okta
	// or generic. It defaults prompt, scopes, the claims, email
	// verification and idTokenLifetime; each stays overridable.
	Provider string `json:"provider,omitempty"`
	// Prompt is sent on every authorization request: none, login, consent,
	// select_account, or omit to send none (the IdP decides).
	Prompt string `json:"prompt,omitempty"`
	// Audiences are further client ids of the login issuer whose tokens the
	// gateway accepts (besides oauth2Proxy.clientID); a token minted for
	// any other client of the realm/tenant is refused.
	Audiences []string `json:"audiences,omitempty"`
	// AllowUnverifiedEmail admits ID tokens saying email_verified: false
	// (oauth2-proxy's insecure_oidc_allow_unverified_email).
	AllowUnverifiedEmail *bool `json:"allowUnverifiedEmail,omitempty"`
	// IDTokenLifetime is how long the IdP's ID tokens live; cookie.refresh
	// must be shorter, or the gateway gets expired tokens.
	IDTokenLifetime string `json:"idTokenLifetime,omitempty"`
	// LargeTokens is for IdPs whose tokens overflow header limits.
	LargeTokens *LargeTokens `json:"largeTokens,omitempty"`
}

// LargeTokens trims what a session carries through the gateway (the Kubeflow
// doc's known issue: Entra tokens exceed gRPC and gunicorn header limits).
type LargeTokens struct {
	// StripCookieRoutes are VirtualServices (gRPC backends such as
	// kubeflow/metadata-grpc) whose routes drop the Cookie header upstream.
	StripCookieRoutes []ObjectRef `json:"stripCookieRoutes,omitempty"`
	// MaxTokenBytes is the largest bearer token the check-server accepts.
	MaxTokenBytes *int32 `json:"maxTokenBytes,omitempty"`
}

type OAuth2Proxy struct {
	Namespace       string       `json:"namespace,omitempty"`
	Image           string       `json:"image,omitempty"`
	Replicas        *int32       `json:"replicas,omitempty"`
	ClientID        string       `json:"clientID,omitempty"`
	ClientSecretRef SecretKeyRef `json:"clientSecretRef,omitempty"`
	// RedirectURL is the OAuth2 callback registered with the provider;
	// derived from publicURL, and refused when it is not oauth2-proxy's
	// callback on the publicURL host.
	RedirectURL     string       `json:"redirectURL,omitempty"`
	CookieSecretRef SecretKeyRef `json:"cookieSecretRef,omitempty"`
	Cookie          Cookie       `json:"cookie,omitempty"`
	EmailDomains    []string     `json:"emailDomains,omitempty"`
	// APIRoutes get a 401 instead of a redirect to sign-in (regexes).
	APIRoutes    []string     `json:"apiRoutes,omitempty"`
	SessionStore SessionStore `json:"sessionStore,omitempty"`
}

type SecretKeyRef struct {
	Name string `json:"name,omitempty"`
	Key  string `json:"key,omitempty"`
}

type Cookie struct {
	Name     string   `json:"name,omitempty"`
	Expire   string   `json:"expire,omitempty"`
	Refresh  string   `json:"refresh,omitempty"`
	SameSite string   `json:"sameSite,omitempty"`
	Secure   *bool    `json:"secure,omitempty"`
	Domains  []string `json:"domains,omitempty"`
}

type SessionStore struct {
	// Type is cookie or redis.
	Type  string `json:"type,omitempty"`
	Redis *Redis `json:"redis,omitempty"`
}

type Redis struct {
	// Address is redis://host:port or rediss://host:port (TLS) of a single
	// server; leave it empty with sentinel or cluster.
	Address           string         `json:"address,omitempty"`
	PasswordSecretRef *SecretKeyRef  `json:"passwordSecretRef,omitempty"`
	Sentinel          *RedisSentinel `json:"sentinel,omitempty"`
	Cluster           *RedisCluster  `json:"cluster,omitempty"`
	// CASecretRef is a PEM CA bundle (Secret key) trusted for rediss://;
	// with it oauth2-proxy speaks TLS to every address, so all are rediss://.
	CASecretRef *SecretKeyRef `json:"caSecretRef,omitempty"`
}

type RedisSentinel struct {
	MasterName        string        `json:"masterName"`
	Addresses         []string      `json:"addresses"`
	PasswordSecretRef *SecretKeyRef `json:"passwordSecretRef,omitempty"`
}

type RedisCluster struct {
	Addresses []string `json:"addresses"`
}

type IdentityHeaders struct {
	User   UserHeader   `json:"user,omitempty"`
	Groups GroupsHeader `json:"groups,omitempty"`
}

type UserHeader struct {
	Header string `json:"header,omitempty"`
	Claim  string `json:"claim,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

type GroupsHeader struct {
	Header string `json:"header,omitempty"`
	Claim  string `json:"claim,omitempty"`
	// Format of the header on every path: json-base64 (what Envoy's
	// jwt_authn writes for a list claim; the only one it can write, so the
	// oauth2-proxy authorizer's) or csv (comma-joined; check-server only).
	Format string `json:"format,omitempty"`
}

type MachineIssuer struct {
	// Name names the RequestAuthentication; derived from the issuer host when empty.
	Name      string   `json:"name,omitempty"`
	Issuer    string   `json:"issuer"`
	JWKSURI   string   `json:"jwksURI,omitempty"`
	Audiences []string `json:"audiences,omitempty"`
	UserClaim string   `json:"userClaim,omitempty"`
}

type Istio struct {
	// ManagedBy says where Istio is installed: package (default) or external.
	ManagedBy    string `json:"managedBy,omitempty"`
	ProviderName string `json:"providerName,omitempty"`
	Mesh         Mesh   `json:"mesh,omitempty"`
	// ExtAuthzTimeout bounds each authorization check; Istio's default is 600s.
	ExtAuthzTimeout string `json:"extAuthzTimeout,omitempty"`
	Istiod          Istiod `json:"istiod,omitempty"`
	// JWKSRefreshInterval sets istiod's PILOT_JWT_PUB_KEY_REFRESH_INTERVAL so a
	// JWKS fetched before Dex was up is replaced quickly.
	JWKSRefreshInterval string `json:"jwksRefreshInterval,omitempty"`
}

type Mesh struct {
	ConfigMap ObjectRef `json:"configMap,omitempty"`
	Key       string    `json:"key,omitempty"`
}

type Istiod struct {
	Namespace  string `json:"namespace,omitempty"`
	Deployment string `json:"deployment,omitempty"`
	Container  string `json:"container,omitempty"`
}

type ObjectRef struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

type Logout struct {
	// VirtualService is the catch-all route (the dashboard) the logout routes
	// are inserted into, before its other routes.
	VirtualService ObjectRef `json:"virtualService,omitempty"`
	Paths          []string  `json:"paths,omitempty"`
	// AfterLogoutURL is where oauth2-proxy sends the browser after sign-out.
	AfterLogoutURL string `json:"afterLogoutURL,omitempty"`
	// EndSessionURL is the IdP's end_session_endpoint: sign-out also ends
	// the IdP session (oauth2-proxy's backend_logout_url with the ID token
	// as hint, and the browser sent there), so the next login asks again.
	EndSessionURL string `json:"endSessionURL,omitempty"`
}

type CheckServer struct {
	Namespace string `json:"namespace,omitempty"`
	Image     string `json:"image,omitempty"`
	Replicas  *int32 `json:"replicas,omitempty"`
	// Protocol of the mesh extension provider: http or grpc.
	Protocol string `json:"protocol,omitempty"`
	// AllowedGroups, when set, admits only users in one of them.
	AllowedGroups []string `json:"allowedGroups,omitempty"`
	// UserTransformers rewrite the user id (first match wins), e.g. strip
	// an email domain.
	UserTransformers []UserTransformer `json:"userTransformers,omitempty"`
}

// UserTransformer is a regexp rewrite (regexp.ReplaceAllString syntax).
type UserTransformer struct {
	Match   string `json:"match"`
	Replace string `json:"replace"`
}

// Access is the gateway's access rules and the hosts it serves besides
// the publicURL's.
type Access struct {
	Hosts []Host `json:"hosts,omitempty"`
	// Rules are ordered: the first whose hosts and paths match a request
	// decides what it needs; a request no rule matches needs a signed-in
	// identity. A path a normalisation could move is held to every rule
	// it may reach.
	Rules []AccessRule `json:"rules,omitempty"`
}

// Host is a further host the gateway serves.
type Host struct {
	Name string `json:"name"`
	// MachinesOnly: bearer tokens of the machine issuers only, never a
	// login or a session cookie. Otherwise the host shares the login
	// session: the cookie is set for a domain covering it.
	MachinesOnly bool `json:"machinesOnly,omitempty"`
}

// AccessRule is one rule: where it applies and what it needs. Public
// admits anyone; otherwise the set fields all must hold, and none set
// means any signed-in identity.
type AccessRule struct {
	// Name names the rule in the policies and in a 403's reason.
	Name string `json:"name"`
	// Hosts it applies on (publicURL's or spec.access.hosts names); every
	// host when empty.
	Hosts []string `json:"hosts,omitempty"`
	// Paths are plain path prefixes, matched on segment boundaries; every
	// path when empty.
	Paths  []string `json:"paths,omitempty"`
	Public bool     `json:"public,omitempty"`
	// Groups: a member of any of them (the groups claim).
	Groups []string `json:"groups,omitempty"`
	// Claim: the verified token's claim is one of the values.
	Claim *ClaimRequirement `json:"claim,omitempty"`
	// Machines: a bearer token of one of these machine issuers (by name),
	// never a browser session.
	Machines []string `json:"machines,omitempty"`
}

// ClaimRequirement is a claim and the values that satisfy it.
type ClaimRequirement struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}
