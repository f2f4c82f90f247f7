// Package pathnorm is test infrastructure: the path normalisations a
// gateway, a mesh setting or an app may apply before routing on a path,
// to check that a path rule (checkserver/pathmatch, checkserver/access)
// holds under every one of them. It ships in no binary.
package pathnorm

import (
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Steps are the normalisations, each applied to a whole path.
var Steps = map[string]func(string) string{
	// Every valid %XX decoded once, the invalid ones left as they are
	// (as lenient decoders do).
	"decode":    func(p string) string { return unescape(p, "%", 2) },
	"backslash": func(p string) string { return strings.ReplaceAll(p, `\`, "/") },
	"merge": func(p string) string {
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		return p
	},
	"params": func(p string) string {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			segs[i], _, _ = strings.Cut(s, ";")
		}
		return strings.Join(segs, "/")
	},
	"dots": func(p string) string {
		trail := strings.HasSuffix(p, "/")
		c := path.Clean("/" + p)
		if trail && c != "/" {
			c += "/"
		}
		return c
	},
	"lower": strings.ToLower,
	// Windows and old Spring path matching drop trailing dots and blanks
	// of a segment ("." and ".." stay dot segments).
	"trim": func(p string) string {
		segs := strings.Split(p, "/")
		for i, s := range segs {
			if s != "." && s != ".." {
				segs[i] = strings.TrimRight(s, ". \t")
			}
		}
		return strings.Join(segs, "/")
	},
	// A C string ends at the first NUL.
	"nul": func(p string) string { p, _, _ = strings.Cut(p, "\x00"); return p },
	// Full-width solidus, reverse solidus and full stop, and the overlong
	// UTF-8 "/" and ".", read as their ASCII forms.
	"wide": strings.NewReplacer("／", "/", "＼", "/", "．", ".", "\xc0\xaf", "/", "\xc0\xae", ".").Replace,
	// IIS decodes "%uXXXX"; the ASCII ones are what matter here.
	"iis": func(p string) string { return unescape(strings.ReplaceAll(p, "%U00", "%u00"), "%u00", 2) },
}

// unescape decodes each intro followed by n hex digits as that byte.
func unescape(p, intro string, n int) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if strings.HasPrefix(p[i:], intro) && i+len(intro)+n <= len(p) {
			if c, err := strconv.ParseUint(p[i+len(intro):i+len(intro)+n], 16, 8); err == nil {
				b.WriteByte(byte(c))
				i += len(intro) + n - 1
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// Variants is every path the steps make of p, in any order and any
// number of times, p included (bounded at 4096 paths).
func Variants(p string) map[string]bool {
	seen := map[string]bool{p: true}
	queue := []string{p}
	names := slices.Sorted(maps.Keys(Steps)) // the same paths on every run, up to the bound
	for len(queue) > 0 && len(seen) < 4096 {
		q := queue[0]
		queue = queue[1:]
		for _, n := range names {
			if r := Steps[n](q); !seen[r] {
				seen[r] = true
				queue = append(queue, r)
			}
		}
	}
	return seen
}

// Under: p is under prefix on a segment boundary, with or without the
// prefix's trailing "/"; fold compares case-blind.
func Under(p, prefix string, fold bool) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if fold {
		p, prefix = strings.ToLower(p), strings.ToLower(prefix)
	}
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}
