package outputcheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

type optionKind int

const (
	optString optionKind = iota
	optBool
	optInt
	optList
	optDuration
)

// oauth2ProxyFacts is what the cross checks need from an oauth2_proxy.cfg.
type oauth2ProxyFacts struct {
	obj         *object
	field       string
	issuer      string
	clientID    string
	redirectURL string
	// userClaim and groupsClaim are the claims the session's identity comes
	// from (oidc_email_claim, or the deprecated user_id_claim; oidc_groups_claim).
	userClaim, groupsClaim string
}

// secretOptions must never be written into a ConfigMap: the design keeps
// secrets in Secrets, referenced through env vars or files.
var secretOptions = []string{"client_secret", "cookie_secret", "redis_password", "redis_sentinel_password", "basic_auth_password"}

// oauth2ProxyConfig checks oauth2_proxy.cfg as oauth2-proxy v7.15 would at
// start-up (--config-test), so the mistake shows at render time instead of
// as a crash-looping pod: every key known, every value of the right type,
// durations as strings (a TOML integer is read as nanoseconds), regexes
// that compile, cookie_refresh below cookie_expire.
func (r *run) oauth2ProxyConfig(o *object, field, text string) {
	var cfg map[string]any
	if _, err := toml.Decode(text, &cfg); err != nil {
		r.add(o, field, "invalid TOML: "+err.Error())
		return
	}
	add := func(key, msg string) { r.add(o, field+"."+key, msg) }
	strs, durations := oauth2ProxyTypes(cfg, add)
	oauth2ProxyValues(cfg, strs, durations, add)
	r.facts.oauth2Proxies = append(r.facts.oauth2Proxies, oauth2ProxyFacts{
		obj: o, field: field, issuer: strs["oidc_issuer_url"], clientID: strs["client_id"], redirectURL: strs["redirect_url"],
		userClaim: sessionUserClaim(strs), groupsClaim: orDefault(strs["oidc_groups_claim"], "groups"),
	})
}

// oauth2ProxyTypes checks that every key is known and every value has the
// type oauth2-proxy reads; it returns the string and duration values.
func oauth2ProxyTypes(cfg map[string]any, add func(key, msg string)) (map[string]string, map[string]time.Duration) {
	known := slices.Sorted(maps.Keys(oauth2ProxyOptions))
	durations := map[string]time.Duration{}
	strs := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(cfg)) {
		kind, ok := oauth2ProxyOptions[key]
		if !ok {
			add(key, unknownOptionMessage(key, known))
			continue
		}
		v := cfg[key]
		switch kind {
		case optString:
			s, ok := v.(string)
			if !ok {
				add(key, "must be a string, not "+tomlType(v))
			}
			strs[key] = s
		case optBool:
			if _, ok := v.(bool); !ok {
				add(key, "must be a boolean, not "+tomlType(v))
			}
		case optInt:
			if _, ok := v.(int64); !ok {
				add(key, "must be an integer, not "+tomlType(v))
			}
		case optList:
			l, ok := v.([]any)
			if !ok {
				add(key, "must be a list of strings, not "+tomlType(v))
				continue
			}
			for i, e := range l {
				if _, ok := e.(string); !ok {
					add(key+"["+strconv.Itoa(i)+"]", "must be a string, not "+tomlType(e))
				}
			}
		case optDuration:
			if v == int64(0) {
				continue // zero is zero in any unit: unambiguous, and oauth2-proxy accepts it
			}
			s, ok := v.(string)
			if !ok {
				add(key, "must be a duration string such as \"1h\" (a TOML number is read as nanoseconds), not "+tomlType(v))
				continue
			}
			d, err := time.ParseDuration(s)
			if err != nil {
				add(key, "not a duration: "+strconv.Quote(s))
				continue
			}
			durations[key] = d
		}
	}
	return strs, durations
}

// oauth2ProxyValues checks the rules between values: no secrets, the
// cookie refresh below its expiry, routes that compile, enumerations.
func oauth2ProxyValues(cfg map[string]any, strs map[string]string, durations map[string]time.Duration, add func(key, msg string)) {
	for _, key := range secretOptions {
		if _, ok := cfg[key]; ok {
			add(key, "a secret in a ConfigMap: pass it from a Secret (environment variable or "+key+"_file where supported)")
		}
	}
	if refresh, ok := durations["cookie_refresh"]; ok && refresh > 0 {
		expire, set := durations["cookie_expire"]
		if !set {
			if _, present := cfg["cookie_expire"]; !present {
				expire = 168 * time.Hour // oauth2-proxy's default
			}
		}
		if expire != 0 && refresh >= expire {
			add("cookie_refresh", fmt.Sprintf("must be less than cookie_expire (%s >= %s)", refresh, expire))
		}
	}
	for _, key := range []string{"skip_auth_routes", "skip_auth_regex", "api_routes"} {
		l, _ := cfg[key].([]any)
		for i, e := range l {
			s, _ := e.(string)
			if err := checkRoute(key, s); err != "" {
				add(key+"["+strconv.Itoa(i)+"]", err)
			}
		}
	}
	for _, key := range []string{"cookie_samesite", "cookie_csrf_samesite"} {
		if s := strs[key]; s != "" && !slices.Contains([]string{"lax", "strict", "none"}, s) {
			add(key, "must be lax, strict or none")
		}
	}
	if s := strs["session_store_type"]; s != "" && s != "cookie" && s != "redis" {
		add("session_store_type", "must be cookie or redis")
	}
	for _, key := range []string{"code_challenge_method", "force_code_challenge_method"} {
		if s := strs[key]; s != "" && s != "S256" && s != "plain" {
			add(key, "must be S256 or plain")
		}
	}
	if s := strs["redirect_url"]; s != "" && !isAbsoluteOrRootedURI(s) {
		add("redirect_url", "must be an absolute URL or start with /")
	}
	if s := strs["oidc_issuer_url"]; s != "" && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		add("oidc_issuer_url", "must be an http(s) URL")
	}
}

var routeMethodSep = regexp.MustCompile("!?=")

// checkRoute compiles a route regex. skip_auth_routes entries may be
// METHOD=regex or METHOD!=regex; oauth2-proxy splits at the first = or !=.
func checkRoute(key, s string) string {
	path := s
	if key == "skip_auth_routes" {
		if parts := routeMethodSep.Split(s, 2); len(parts) == 2 {
			path = parts[1]
		}
	}
	if _, err := regexp.Compile(path); err != nil {
		return "invalid regex: " + err.Error()
	}
	return ""
}

func unknownOptionMessage(key string, known []string) string {
	if c := closest(key, known); c != "" {
		return "unknown option (did you mean " + c + "?)"
	}
	return "unknown option"
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("%T", v)
	}
}
