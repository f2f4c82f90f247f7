package e2e

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// How a request target may be read on its way to an app: the oracle the
// access flows judge what the dashboard received by, written apart from
// checkserver/pathmatch (which compiles the rules) so the two can disagree.

// readings are the paths a target may be read as by some upstream or
// framework: every combination of cutting the query and fragment,
// percent-decoding (repeatedly), "\" as "/", dropping ";" parameters,
// merging slashes, resolving dot segments, folding case, trimming a
// segment's trailing dots and blanks, cutting at NUL, reading full-width
// or overlong slashes and dots as ASCII, and IIS's %uXXXX. Independent of
// checkserver/pathmatch, which the rules are compiled with.
func readings(target string) []string {
	start, _, _ := strings.Cut(target, "?")
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 && len(seen) < 4096 {
		p := queue[0]
		queue = queue[1:]
		for _, f := range normalisers {
			if q := f(p); !seen[q] {
				seen[q] = true
				queue = append(queue, q)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

var normalisers = []func(string) string{
	func(p string) string { q, _, _ := strings.Cut(p, "#"); return q },
	func(p string) string { q, _, _ := strings.Cut(p, "?"); return q },
	percentDecode,
	func(p string) string { return strings.ReplaceAll(p, `\`, "/") },
	dropParams,
	func(p string) string {
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		return p
	},
	func(p string) string {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		c := path.Clean(p)
		if strings.HasSuffix(p, "/") && c != "/" {
			c += "/"
		}
		return c
	},
	strings.ToLower,
	// Windows, IIS and old Spring path matching drop a segment's trailing
	// dots and blanks; a C-string server stops at NUL; some read the
	// full-width or the overlong UTF-8 "/" as a separator.
	func(p string) string {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			if s != "." && s != ".." {
				segs[i] = strings.TrimRight(s, ". \t")
			}
		}
		return strings.Join(segs, "/")
	},
	func(p string) string { q, _, _ := strings.Cut(p, "\x00"); return q },
	strings.NewReplacer("\uff0f", "/", "\uff3c", "/", "\uff0e", ".", "\xc0\xaf", "/", "\xc0\xae", ".").Replace,
	iisDecode,
}

// iisDecode decodes IIS's %uXXXX escapes of ASCII bytes.
func iisDecode(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if i+6 <= len(p) && p[i] == '%' && (p[i+1] == 'u' || p[i+1] == 'U') && p[i+2:i+4] == "00" {
			if c, err := strconv.ParseUint(p[i+4:i+6], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 5
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// percentDecode decodes every valid %XX once.
func percentDecode(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			if c, err := strconv.ParseUint(p[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// dropParams drops each segment's ";parameters" (Tomcat, Spring).
func dropParams(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

// landsUnder: some reading of target is /seg or under /seg/.
func landsUnder(target, seg string) bool {
	return slices.ContainsFunc(readings(target), func(p string) bool {
		return p == "/"+seg || strings.HasPrefix(p, "/"+seg+"/")
	})
}

// onlyPublic: every reading of target lies under a public prefix (the
// public rule's /kserve/, the publicPaths /dex/ and /static/).
func onlyPublic(target string) bool {
	for _, p := range readings(target) {
		if !strings.HasPrefix(p, "/kserve/") && !strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/dex/") {
			return false
		}
	}
	return true
}
