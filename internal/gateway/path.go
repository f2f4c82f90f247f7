package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
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
// with a redirect to it (UNESCAPE_AND_REDIRECT). The order is Envoy's
// ConnectionManagerUtility::maybeNormalizePath: escaped slashes, then
// normalize_path, then merge_slashes; the query is never touched.
func (n pathNormalization) apply(full string) (string, bool, *reply) {
	p, q, hasQ := strings.Cut(full, "?")
	redirect := false
	if strings.Contains(strings.ToLower(p), "%2f") || strings.Contains(strings.ToLower(p), "%5c") {
		switch n.escapedAction {
		case hcm.HttpConnectionManager_REJECT_REQUEST:
			return "", false, badRequest
		case hcm.HttpConnectionManager_UNESCAPE_AND_REDIRECT:
			p, redirect = unescapeSlashes(p), true
		case hcm.HttpConnectionManager_UNESCAPE_AND_FORWARD:
			p = unescapeSlashes(p)
		}
	}
	if n.normalize {
		var err error
		if p, err = canonicalPath(p); err != nil {
			return "", false, &reply{status: http.StatusBadRequest, body: []byte(err.Error())}
		}
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

var badRequest = &reply{status: http.StatusBadRequest, body: []byte("Bad Request")}

func unescapeSlashes(p string) string {
	return strings.NewReplacer("%2F", "/", "%2f", "/", "%5C", `\`, "%5c", `\`).Replace(p)
}

// canonicalPath is Envoy's PathUtil::canonicalPath, which runs Chromium's
// url::CanonicalizePath (Envoy's path_utility_test is the reference):
//   - an escape of an unreserved byte (ALPHA DIGIT - . _ ~) is decoded, so
//     "%2e%2e" and ".%2E" are dot segments and "%41" is "A";
//   - every other escape is kept as sent, case included ("%2F%2f",
//     "%5c%25", "%c0%af"); "%00" makes the path invalid (400);
//   - "\" is a "/";
//   - "." and ".." segments are removed (RFC 3986 section 5.2.4), never
//     above the root.
//
// Chromium would also escape raw bytes outside printable ASCII and a few
// printable ones; Envoy's HTTP/1 codec refuses most of them first. Which
// does what is not implemented here: such a path is refused loudly (a 400
// saying so) rather than guessed at, and the tests send none.
func canonicalPath(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c <= 0x20 || c >= 0x7f || strings.IndexByte("\"<>`{}|^", c) >= 0:
			return "", fmt.Errorf("internal/gateway: byte %#x in the path: Envoy's handling of it is not implemented", c)
		case c == '\\':
			b.WriteByte('/')
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			d := unhex(p[i+1])<<4 | unhex(p[i+2])
			switch {
			case d == 0:
				return "", fmt.Errorf("Bad Request") // Chromium: an invalid escape
			case unreserved(d):
				b.WriteByte(d)
			default:
				b.WriteString(p[i : i+3])
			}
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return removeDotSegments(b.String()), nil
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
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

// requestTarget is the :path of a request as the client sent it: Go's
// server keeps the raw request-target in RequestURI (r.URL re-escapes it:
// a "\" would become "%5C"). An absolute-form target ("http://host/p")
// gives its path; its host is already r.Host, as Envoy takes :authority
// from it. A fragment is cut off: Istio's bootstrap sets
// http_reject_path_with_fragment false, so Envoy strips it.
func requestTarget(r *http.Request) string {
	t := r.RequestURI
	if !strings.HasPrefix(t, "/") {
		if u, err := url.Parse(t); err == nil && u.Host != "" {
			t = strings.TrimPrefix(t, u.Scheme+"://"+u.Host)
			if t == "" || t[0] == '?' {
				t = "/" + t
			}
		}
	}
	t, _, _ = strings.Cut(t, "#")
	return t
}

// upstreamURL is a URL Go's client sends with exactly path (and query) as
// its request-target, so an upstream or authorizer sees the :path Envoy
// would send. A path Go cannot send unchanged is an error, not a guess.
func upstreamURL(addr, full string) (*url.URL, error) {
	p, q, hasQ := strings.Cut(full, "?")
	u := &url.URL{Scheme: "http", Host: addr, Opaque: p, RawQuery: q, ForceQuery: hasQ && q == ""}
	if strings.HasPrefix(p, "//") {
		// Go would send an Opaque "//x" as "http://x": use Path/RawPath.
		dec, err := url.PathUnescape(p)
		if err != nil {
			return nil, fmt.Errorf("internal/gateway cannot forward the path %q unchanged", p)
		}
		u.Opaque, u.Path, u.RawPath = "", dec, p
		if u.EscapedPath() != p {
			return nil, fmt.Errorf("internal/gateway cannot forward the path %q unchanged", p)
		}
	}
	return u, nil
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
