package loopback

// The test credentials of every loopback stack. The function never writes
// a secret: the stack stands in for the Secrets a user creates and for
// Dex's own install (its users' password hashes).
const (
	// Password is every static user's password; PasswordHash a bcrypt hash
	// of it (cost 10, the minimum Dex accepts), given to Dex through the
	// hashFromEnv variables of the emitted staticPasswords (DexEnv).
	Password     = "e2e-password-1234"
	PasswordHash = "$2a$10$ULcT81XU0CWAV5f/GC9D2e7A8WHsJaCZ2U/oYwNBKuIi7Cthm2Fau"

	// ClientSecret is oauth2-proxy's client secret at Dex; CookieSecret
	// its cookie secret (32 bytes: AES-256).
	ClientSecret = "e2e-client-secret-0123456789"
	CookieSecret = "0123456789abcdef0123456789abcdef"
)

// Secrets stands in for the Secrets the AuthConfig references:
// name → key → value.
type Secrets map[string]map[string]string

// Put sets one key of one Secret (oauth2-proxy's client and cookie secret
// share a Secret by default).
func (s Secrets) Put(name, key, value string) {
	if s[name] == nil {
		s[name] = map[string]string{}
	}
	s[name][key] = value
}
