package checkserver

import (
	"sort"
	"strings"

	"meshauth.dev/meshauth/checkserver/config"
)

// maxVariantDashes bounds the dash/underscore combinations generated per
// header name (2^n variants).
const maxVariantDashes = 5

// stripNames are the identity headers an allow removes: the user and groups
// headers, the defaults (less identity.keepHeaders) and identity.stripHeaders.
// Configured names add to the defaults; they never replace them.
func stripNames(id config.Identity) []string {
	out := []string{id.UserHeader, id.GroupsHeader}
	for _, d := range config.DefaultStripHeaders {
		if len(without([]string{d}, id.KeepHeaders...)) == 1 {
			out = append(out, d)
		}
	}
	return append(out, id.StripHeaders...)
}

// stripList returns the lower-case names of every identity header a client
// could send: each configured name plus all of its "-"/"_" spellings. Many
// upstream stacks (CGI/WSGI environ, some proxies) fold "_" and "-" together,
// so a client-sent "kubeflow_userid" can masquerade as "kubeflow-userid".
func stripList(names ...string) []string {
	set := map[string]bool{}
	for _, n := range names {
		if n == "" {
			continue
		}
		for _, v := range spellings(strings.ToLower(n)) {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// spellings returns name with every combination of "-" and "_" at the
// positions where name has either; past maxVariantDashes positions only the
// all-dash and all-underscore forms are produced.
func spellings(name string) []string {
	var pos []int
	for i := 0; i < len(name); i++ {
		if name[i] == '-' || name[i] == '_' {
			pos = append(pos, i)
		}
	}
	if len(pos) > maxVariantDashes {
		return []string{name, strings.ReplaceAll(name, "_", "-"), strings.ReplaceAll(name, "-", "_")}
	}
	out := make([]string, 0, 1<<len(pos))
	b := []byte(name)
	for mask := 0; mask < 1<<len(pos); mask++ {
		for j, p := range pos {
			if mask&(1<<j) != 0 {
				b[p] = '_'
			} else {
				b[p] = '-'
			}
		}
		out = append(out, string(b))
	}
	return out
}

// without returns list minus the names in drop (case-insensitive). Envoy
// applies removals after sets, so a header we set must not be removed.
func without(list []string, drop ...string) []string {
	out := make([]string, 0, len(list))
	for _, n := range list {
		keep := true
		for _, d := range drop {
			if strings.EqualFold(n, d) {
				keep = false
			}
		}
		if keep {
			out = append(out, n)
		}
	}
	return out
}
