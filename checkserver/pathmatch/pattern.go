package pathmatch

import (
	"fmt"
	"regexp"
	"strings"
)

// Pattern is the RE2 regex (for a full match, as Envoy's safe_regex and
// RBAC url_path use it) that accepts exactly the paths Matcher.Match
// accepts for prefixes, the query already cut off: the same rule, for a
// gateway that decides before any authorizer is asked (the oauth2-proxy
// authorizer's public paths). Prefixes that are not plain are dropped, as
// NewMatcher drops them. An empty list gives "" (nothing is public).
func Pattern(prefixes []string) string {
	var alts []string
	for _, p := range NewMatcher(prefixes).prefixes {
		alts = append(alts, prefixPattern(p))
	}
	return strings.Join(alts, "|")
}

// PrefixSchemaPattern is the pattern of a plain prefix that starts and
// ends with "/" and holds none of the bytes in also: the AuthConfig CRD's
// publicPaths items, so the API server refuses what the function does.
func PrefixSchemaPattern(also string) string {
	return "^/(?:" + segmentPattern(func(c byte) bool { return strings.IndexByte(also, c) < 0 }) + "/)+$"
}

// prefixPattern: the prefix literally, then plain segments on a segment
// boundary (see Under), an optional trailing "/".
func prefixPattern(p string) string {
	seg := segmentPattern(func(byte) bool { return true })
	rest := "(?:" + seg + "(?:/" + seg + ")*/?)?"
	if strings.HasSuffix(p, "/") {
		return regexp.QuoteMeta(p) + rest
	}
	return regexp.QuoteMeta(p) + "(?:/" + rest + ")?"
}

// segmentPattern is one non-empty segment of plain bytes (that keep also
// allows) that is neither "." nor "..": it holds a byte other than ".", or
// is three dots or more.
func segmentPattern(keep func(byte) bool) string {
	any, noDot := byteClass(keep), byteClass(func(c byte) bool { return keep(c) && c != '.' })
	return "(?:" + any + "*" + noDot + any + "*|\\.\\.\\.+)"
}

// byteClass is the regex class of the plain bytes (plainByte) that keep
// also satisfy, as hex ranges so no byte needs escaping rules.
func byteClass(keep func(byte) bool) string {
	var b strings.Builder
	b.WriteString("[")
	for c := 0; c < 0x100; {
		if !plainByte(byte(c)) || !keep(byte(c)) {
			c++
			continue
		}
		lo := c
		for c < 0x100 && plainByte(byte(c)) && keep(byte(c)) {
			c++
		}
		fmt.Fprintf(&b, `\x%02x`, lo)
		if c-1 > lo {
			fmt.Fprintf(&b, `-\x%02x`, c-1)
		}
	}
	b.WriteString("]")
	return b.String()
}
