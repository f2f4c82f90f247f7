package pathmatch

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// ReachPattern is the deny direction of Pattern: an RE2 regex (for a full
// match on the path, the query cut off) that accepts every path some
// normalisation could turn into a path under one of prefixes, so a rule
// on a prefix holds whatever the gateway, the mesh setting or the app
// does to the path before routing on it. The normalisations are:
//   - percent-decoding, once or repeatedly ("%70", "%2570" are "p");
//   - "\" as "/" and escaped separators ("%2F", "%5C") as separators;
//   - merging "//";
//   - dropping ";params" from segments (Tomcat, Jetty);
//   - removing "." and ".." segments;
//   - case folding (a case-blind route or app);
//   - trimming trailing dots and blanks off a segment (Windows, old Spring
//     path matching), cutting at a NUL (C strings), reading the full-width
//     "／" "＼" "．" or the overlong UTF-8 "/" "." as "/" and ".", and IIS's
//     "%uXXXX" escapes.
//
// A path that holds a dot segment or a ";" (in any encoding) could drop
// the segments before them, so it reaches a prefix when the prefix's last
// segment appears as a segment after one; otherwise the prefix's segments
// must lead the path, separated by separators only. Both
// over-approximate: a deny matches more, never less. A prefix is taken
// on segment boundaries with or without its trailing "/" ("/pipeline/"
// also reaches "/pipeline"). An empty list, or only "/", gives ".*".
func ReachPattern(prefixes []string) string {
	var alts []string
	for _, p := range prefixes {
		segs := segments(p)
		if len(segs) == 0 {
			return "(?s).*"
		}
		alts = append(alts, leading(segs), anywhere(segs[len(segs)-1]))
	}
	if len(alts) == 0 {
		return "(?s).*"
	}
	return "(?is)(?:" + strings.Join(alts, "|") + ")"
}

// Reach matches paths against ReachPattern, as the gateway does.
type Reach struct{ re *regexp.Regexp }

// NewReach compiles ReachPattern(prefixes).
func NewReach(prefixes []string) Reach {
	return Reach{regexp.MustCompile("^(?:" + ReachPattern(prefixes) + ")$")}
}

// Match reports whether target (path and query, still encoded) may be
// under one of the prefixes.
func (r Reach) Match(target string) bool {
	p, _, _ := strings.Cut(target, "?")
	return r.re.MatchString(p)
}

const (
	// escape is "%" followed by any number of "25": an escape decoded
	// once or more; "%u00" is IIS's form of it.
	escape = `%(?:25)*(?:u00)?`
	sep    = `(?:/|\\|` + escape + `(?:2f|5c)|／|＼|` + wide + `(?:8f|bc)|` + overlong + `af)`
	dot    = `(?:\.|` + escape + `2e|．|` + wide + `8e|` + overlong + `ae)`
	// wide and overlong begin the escaped UTF-8 of a full-width form
	// (U+FF0E, U+FF0F, U+FF3C) and an overlong ASCII byte.
	wide     = escape + `ef` + escape + `bc` + escape
	overlong = escape + `c0` + escape
	semi     = `(?:;|` + escape + `3b)`
	// trail: what a segment may end in that some reader trims off (a
	// segment of nothing else becomes empty, and merges away).
	trailChar = `(?:` + dot + `| |\t|` + escape + `(?:20|09))`
	trail     = trailChar + `*`
	gap       = `(?:` + sep + `|` + trailChar + `)*`
	// segEnd: what may follow a segment's name: a separator, params, a
	// NUL, the end.
	segEnd = trail + `(?:` + sep + `|` + semi + `|` + escape + `00|\x00|$)`
)

// leading: the prefix's segments lead the path.
func leading(segs []string) string {
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = encoded(s)
	}
	return gap + strings.Join(names, trail+sep+gap) + segEnd + `.*`
}

// anywhere: a dot segment or params, then the last segment of the prefix
// as a segment (only what precedes a ".." or a ";" can be dropped).
func anywhere(last string) string {
	name := encoded(last) + segEnd + `.*`
	dotSegment := `(?:.*` + sep + `)?` + dot + dot + `?` + trail + `(?:` + sep + `|` + semi + `)(?:.*` + sep + `)?` + name
	params := `.*` + semi + `.*` + sep + name
	return dotSegment + `|` + params
}

// encoded matches s (lower-cased; the pattern is case-blind) with each
// byte literal or percent-encoded.
func encoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		alts := []string{regexp.QuoteMeta(string(c)), fmt.Sprintf("%s%02x", escape, c)}
		if up := strings.ToUpper(string(c))[0]; up != c {
			alts = append(alts, fmt.Sprintf("%s%02x", escape, up))
		}
		b.WriteString("(?:" + strings.Join(alts, "|") + ")")
	}
	return b.String()
}

// segments are the non-empty, lower-cased segments of a prefix.
func segments(prefix string) []string {
	var out []string
	for _, s := range strings.Split(strings.ToLower(prefix), "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ProgramSize is the size of re's compiled program in instructions, the
// measure Envoy's re2.max_program_size.error_level limits (Istio sets
// 32768; a larger regex is rejected with the whole listener). Go's
// compiler counts close to RE2's; callers keep well under the limit.
func ProgramSize(re string) int {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return 0
	}
	p, err := syntax.Compile(r.Simplify())
	if err != nil {
		return 0
	}
	return len(p.Inst)
}

// MaxProgramSize is the budget meshauth keeps each regex under: half of
// Istio's limit, for the difference between Go's and RE2's counts.
const MaxProgramSize = 16384

// ReachNames are what a path must hold for ReachPattern(prefixes) to
// match it when it has no "%" and only ASCII: one of the prefixes' last
// segments, in any case (every branch of the pattern ends in that segment,
// each byte of it literal or escaped). Nil when the pattern takes every
// path. A cheap test before the regex, never instead of it.
func ReachNames(prefixes []string) []string {
	var out []string
	for _, p := range prefixes {
		segs := segments(p)
		if len(segs) == 0 {
			return nil
		}
		out = append(out, segs[len(segs)-1])
	}
	return out
}

// MayReach is false only when path cannot match the ReachPattern whose
// ReachNames are names: it is ASCII without "%" and holds none of them.
func MayReach(path string, names []string) bool {
	if names == nil || strings.ContainsRune(path, '%') {
		return true
	}
	for i := 0; i < len(path); i++ {
		if path[i] >= 0x80 {
			return true
		}
	}
	lower := strings.ToLower(path)
	for _, n := range names {
		if strings.Contains(lower, n) {
			return true
		}
	}
	return false
}
