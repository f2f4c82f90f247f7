package checkserver

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// identityMapper turns an authenticated identity into the values of the user
// and groups headers, and applies the groups allow-list.
type identityMapper struct {
	prefix        string
	transformers  []transformer
	allowedGroups map[string]bool
	jsonGroups    bool
}

type transformer struct {
	match   *regexp.Regexp
	replace string
}

func newIdentityMapper(c config.Identity) (*identityMapper, error) {
	m := &identityMapper{prefix: c.UserPrefix, jsonGroups: c.GroupsFormat == config.GroupsJSONBase64}
	for _, t := range c.UserTransformers {
		re, err := regexp.Compile(t.Match)
		if err != nil {
			return nil, err
		}
		m.transformers = append(m.transformers, transformer{re, t.Replace})
	}
	if len(c.AllowedGroups) > 0 {
		m.allowedGroups = map[string]bool{}
		for _, g := range c.AllowedGroups {
			m.allowedGroups[g] = true
		}
	}
	return m, nil
}

// user applies the first matching transformer (in order, as oidc-authservice
// did) and then the prefix.
func (m *identityMapper) user(raw string) string {
	for _, t := range m.transformers {
		if t.match.MatchString(raw) {
			raw = t.match.ReplaceAllString(raw, t.replace)
			break
		}
	}
	return m.prefix + raw
}

// mapped is what an allow sets upstream.
type mapped struct {
	user   string
	groups string // comma-joined; empty means no groups header
}

// mapIdentity returns the header values, an ErrInvalid when the identity
// cannot be expressed safely in a header, or ErrForbidden when the identity
// is outside the allowed groups.
func (m *identityMapper) mapIdentity(id authn.Identity) (mapped, error) {
	u := m.user(id.User)
	if u == "" || !safeHeaderValue(u) {
		return mapped{}, authn.Invalid("user cannot be carried in a header")
	}
	for _, g := range id.Groups {
		// A comma inside a group would split it into two groups downstream.
		if g == "" || strings.Contains(g, ",") || !safeHeaderValue(g) {
			return mapped{}, authn.Invalid("group cannot be carried in a comma-joined header")
		}
	}
	if m.allowedGroups != nil {
		ok := false
		for _, g := range id.Groups {
			ok = ok || m.allowedGroups[g]
		}
		if !ok {
			return mapped{user: u}, authn.ErrForbidden
		}
	}
	return mapped{user: u, groups: m.groupsValue(id.Groups)}, nil
}

// groupsValue encodes the groups as the configured format: comma-joined, or
// base64 (with padding) of the JSON list, byte for byte what Envoy's
// jwt_authn writes for the same claim.
func (m *identityMapper) groupsValue(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	if !m.jsonGroups {
		return strings.Join(groups, ",")
	}
	b, _ := json.Marshal(groups)
	return base64.StdEncoding.EncodeToString(b)
}

// safeHeaderValue refuses control characters (header injection, and Envoy
// would reject the mutation) and surrounding whitespace (Envoy trims it, so
// the upstream would see a different value than was checked).
func safeHeaderValue(s string) bool {
	if strings.TrimSpace(s) != s {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
