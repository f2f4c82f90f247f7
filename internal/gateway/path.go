package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// pathNormalization is the connection manager's path handling
// (normalize_path, merge_slashes, path_with_escaped_slashes_action), applied
// to the path before any filter or route sees it.
type pathNormalization struct {
	normalize     bool
	mergeSlashes  bool
	escapedAction hcm.HttpConnectionManager_PathWithEscapedSlashesAction
}

// apply returns the new :path; redirect is true when Envoy would answer
// with a redirect to it (UNESCAPE_AND_REDIRECT).
func (n pathNormalization) apply(full string) (string, bool, *reply) {
	p, q, hasQ := strings.Cut(full, "?")
	redirect := false
	if strings.Contains(strings.ToLower(p), "%2f") || strings.Contains(strings.ToLower(p), "%5c") {
		switch n.escapedAction {
		case hcm.HttpConnectionManager_REJECT_REQUEST:
			return "", false, &reply{status: http.StatusBadRequest, body: []byte("Bad Request")}
		case hcm.HttpConnectionManager_UNESCAPE_AND_REDIRECT:
			p, redirect = unescapeSlashes(p), true
		case hcm.HttpConnectionManager_UNESCAPE_AND_FORWARD:
			p = unescapeSlashes(p)
		}
	}
	if n.normalize {
		p = removeDotSegments(strings.ReplaceAll(p, `\`, "/"))
	}
	if n.mergeSlashes {
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
	}
	if hasQ {
		p += "?" + q
	}
	return p, redirect, nil
}

func unescapeSlashes(p string) string {
	return strings.NewReplacer("%2F", "/", "%2f", "/", "%5C", `\`, "%5c", `\`).Replace(p)
}

// removeDotSegments is RFC 3986 section 5.2.4, as Envoy's normalize_path
// applies it.
func removeDotSegments(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	segs := strings.Split(p[1:], "/")
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
