// Package pathnorm is test infrastructure: the path normalisations a
// gateway, a mesh setting or an app may apply before routing on a path,
// to check that a path rule (checkserver/pathmatch, checkserver/access)
// holds under every one of them. It ships in no binary.
package pathnorm

import (
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Steps are the normalisations, each applied to a whole path.
var Steps = map[string]func(string) string{
	"decode": func(p string) string {
		if d, err := url.PathUnescape(p); err == nil {
			return d
		}
		return p
	},
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
	"iis": func(p string) string {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			if strings.HasPrefix(strings.ToLower(p[i:]), "%u00") && i+6 <= len(p) {
				if c, err := strconv.ParseUint(p[i+4:i+6], 16, 8); err == nil {
					b.WriteByte(byte(c))
					i += 5
					continue
				}
			}
			b.WriteByte(p[i])
		}
		return b.String()
	},
}

// Variants is every path the steps make of p, in every order, each
// applied at most twice, p included (bounded at 4096 paths).
func Variants(p string) map[string]bool {
	seen := map[string]bool{p: true}
	frontier := []string{p}
	for round := 0; round < 2*len(Steps) && len(frontier) > 0; round++ {
		var next []string
		for _, q := range frontier {
			for _, f := range Steps {
				if r := f(q); !seen[r] && len(seen) < 4096 {
					seen[r] = true
					next = append(next, r)
				}
			}
		}
		frontier = next
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
