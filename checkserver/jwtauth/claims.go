package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"time"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// claims is a decoded JWT claims set, numbers kept exact.
type claims map[string]any

func parseClaims(payload []byte) (claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var c claims
	if err := dec.Decode(&c); err != nil || c == nil {
		return nil, authn.Invalid("claims are not a JSON object")
	}
	if dec.More() {
		return nil, authn.Invalid("trailing data after claims")
	}
	if err := checkUniqueKeys(payload); errors.Is(err, errDuplicateKey) {
		return nil, authn.Invalid("duplicate claim names")
	} else if err != nil {
		return nil, authn.Invalid("claims are not a JSON object")
	}
	return c, nil
}

func (c claims) str(name string) string {
	s, _ := c[name].(string)
	return s
}

// numericDate reads an RFC 7519 NumericDate; ok is false when absent, and an
// error is returned when present but not a finite number.
func (c claims) numericDate(name string) (time.Time, bool, error) {
	raw, present := c[name]
	if !present {
		return time.Time{}, false, nil
	}
	n, isNum := raw.(json.Number)
	if !isNum {
		return time.Time{}, true, authn.Invalid(name + " is not a number")
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, true, authn.Invalid(name + " is out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// unverifiedEmail: email_verified is false, as a boolean or a string
// (Cognito and others send "false"), the way Envoy's claim_to_headers
// renders both ("false") for the gateway's DENY rule.
func (c claims) unverifiedEmail() bool {
	switch v := c["email_verified"].(type) {
	case bool:
		return !v
	case string:
		return v == "false"
	}
	return false
}

// audiences reads aud as RFC 7519 §4.1.3 allows: a string or an array of strings.
func (c claims) audiences() ([]string, bool) {
	switch a := c["aud"].(type) {
	case string:
		return []string{a}, true
	case []any:
		out := make([]string, 0, len(a))
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// strings reads the named claims as access.Identity holds them; a claim of
// any other type is left out, so no rule can match it.
func (c claims) strings(names []string) map[string][]string {
	if len(names) == 0 {
		return nil
	}
	out := map[string][]string{}
	for _, n := range names {
		switch v := c[n].(type) {
		case string:
			out[n] = []string{v}
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					out[n] = append(out[n], s)
				}
			}
		}
	}
	return out
}

// identity validates iss, aud, exp, nbf and iat and extracts user and groups.
// exp is mandatory: a token that never expires cannot be bounded in a cache
// and cannot be revoked by time.
func (c claims) identity(ic config.Issuer, auds map[string]bool, now time.Time, leeway time.Duration) (authn.Identity, error) {
	if c.str("iss") != ic.Issuer {
		return authn.Identity{}, authn.Invalid("issuer mismatch")
	}
	got, ok := c.audiences()
	if !ok {
		return authn.Identity{}, authn.Invalid("aud missing or malformed")
	}
	match := false
	for _, a := range got {
		match = match || auds[a]
	}
	if !match {
		return authn.Identity{}, authn.Invalid("audience not accepted")
	}
	exp, has, err := c.numericDate("exp")
	if err != nil {
		return authn.Identity{}, err
	}
	if !has {
		return authn.Identity{}, authn.Invalid("exp missing")
	}
	if !now.Before(exp.Add(leeway)) {
		return authn.Identity{}, authn.Invalid("token expired")
	}
	if nbf, has, err := c.numericDate("nbf"); err != nil {
		return authn.Identity{}, err
	} else if has && now.Add(leeway).Before(nbf) {
		return authn.Identity{}, authn.Invalid("token not yet valid (nbf)")
	}
	if iat, has, err := c.numericDate("iat"); err != nil {
		return authn.Identity{}, err
	} else if has && now.Add(leeway).Before(iat) {
		return authn.Identity{}, authn.Invalid("token issued in the future (iat)")
	}
	user, ok := c[ic.UserClaim].(string)
	if !ok || user == "" {
		return authn.Identity{}, authn.Invalid("user claim missing or not a string")
	}
	if ic.RequireVerifiedEmail && c.unverifiedEmail() {
		return authn.Identity{}, authn.Invalid("email_verified is false")
	}
	var groups []string
	switch g := c[ic.GroupsClaim].(type) {
	case nil:
	case []any:
		for _, x := range g {
			s, ok := x.(string)
			if !ok {
				return authn.Identity{}, authn.Invalid("groups claim holds a non-string")
			}
			groups = append(groups, s)
		}
	default:
		// A string here is ambiguous ("a,b" one group or two?): refuse it.
		return authn.Identity{}, authn.Invalid("groups claim is not an array of strings")
	}
	return authn.Identity{User: user, Groups: groups, Method: "jwt", Expiry: exp}, nil
}
