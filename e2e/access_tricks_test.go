package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAccessTricksUnderNormalization: the path-trick table under the mesh's
// other pathNormalization settings, oauth2-proxy authorizer (TestAccessRules
// walks it with the emitted mesh config under both authorizers): a rule
// must not depend on how the cluster normalises.
func TestAccessTricksUnderNormalization(t *testing.T) {
	for _, norm := range []string{"NONE", "DECODE_AND_MERGE_SLASHES"} {
		t.Run(norm, func(t *testing.T) {
			t.Parallel()
			newAccessEnv(t, "oauth2-proxy", norm).flowAccessTricks(t)
		})
	}
}

// trickKind is one kind of rule the tricks aim at: the rule's path segment
// and who sends them (a session of someone the rule refuses, or no one).
// targets are the tricks: written ones each normalisation reads as the
// rule's prefix (refused outright), and generated ones.
type trickKind struct {
	name, seg string
	who       *accessPerson // nil: anonymous
	targets   func(seg string) (written, generated []string)
}

// flowAccessTricks sends every trick of every rule kind as written and
// checks what the dashboard's echo received: nothing it received reads (by
// any normalisation an upstream may apply) as the rule's prefix, and for a
// session and anonymously the written tricks are refused outright. Anonymous escapes from
// the public prefix reach it only when every reading of what it received
// stays under a public prefix.
func (e *env) flowAccessTricks(t *testing.T) {
	kinds := []trickKind{
		{"group", "pipeline", &personNone, trickTargets},
		{"claim", "finance", &personNone, trickTargets},
		{"machines", "batch", &personNone, trickTargets},
		{"public_escape", "pipeline", nil, escapeTargets},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			hdr, who := http.Header{"Accept": {"application/json"}}, "anonymous"
			if k.who != nil {
				who = k.who.email
				hdr.Set("Cookie", e.signIn(t, *k.who).cookieHeader())
			}
			written, generated := k.targets(k.seg)
			var reached []string
			for i, target := range append(written, generated...) {
				r := e.rawAt(t, accessHost, target, hdr)
				got, echoed := echoedTarget(r)
				if !echoed || r.Status != 200 {
					continue
				}
				reached = append(reached, target)
				switch {
				case k.who == nil && !onlyPublic(got):
					t.Errorf("anonymous %s: the dashboard received %q, which some normalisation reads outside the public prefixes", target, got)
				case k.who != nil && landsUnder(got, k.seg):
					t.Errorf("%s %s: the dashboard received %q, which reads as /%s/: the rule refuses them", k.who.email, target, got, k.seg)
				case i < len(written):
					t.Errorf("%s %s: reached the dashboard (%q), though every normalisation reads it as a path the rules refuse them", who, target, got)
				}
			}
			n := len(written) + len(generated)
			t.Logf("%d targets: %d refused; reached the dashboard, none reading as /%s/: %q", n, n-len(reached), k.seg, reached)
			if len(reached) == n {
				t.Errorf("no trick was refused: the table tests nothing")
			}
		})
	}
}

// trickTargets are request targets that some normalisation an upstream or
// framework applies (percent-decoding, double encoding, "\" as "/", ";"
// parameters, duplicate slashes, dot segments, case) reads as /seg/, or
// that look like it and do not. written: the ones every mesh
// normalisation and every upstream reading takes to /seg/; generated:
// combinations of a leading context, a separator, an encoding of the name
// and an ending.
func trickTargets(seg string) (written, generated []string) {
	enc := func(c byte) string { return fmt.Sprintf("%%%02X", c) }
	written = []string{
		"/" + seg, "//" + seg + "/", "/a/../" + seg + "/", "/" + enc(seg[0]) + seg[1:] + "/", "/" + strings.ToUpper(seg) + "/",
		"/static/..%2F" + seg + "/", "/x/..;/" + seg + "/", "/%25" + fmt.Sprintf("%02X", seg[0]) + seg[1:] + "/",
		"/" + seg + ";x=1/", "/./" + seg + "/", "/" + seg + "?x=/", "/%2F" + seg + "/", "/" + seg + "%3B/",
	}
	generated = []string{"/" + seg + "%2F", "/" + seg + "%2f", "/" + seg + "%00/", "/" + seg + "x/", "/x" + seg + "/", "/" + seg[:len(seg)-1] + "/",
		// what readers that trim, cut at NUL or fold wide slashes take to /seg/
		"/" + seg + "%20/", "/" + seg + "%09/", "/" + seg + "./", "/" + seg + "%2e/", "/" + seg + "%ef%bc%8f", "/" + seg + "%c0%af",
		"/static%ef%bc%8f..%ef%bc%8f" + seg + "/", "/" + seg + ".%20/x",
		"/%u00" + fmt.Sprintf("%02x", seg[0]) + seg[1:] + "/", "/static/%u002e%u002e/" + seg + "/", "/static/%c0%ae%c0%ae/" + seg + "/", "/static/%ef%bc%8e%ef%bc%8e/" + seg + "/"}
	names := []string{seg, enc(seg[0]) + seg[1:], strings.ToUpper(seg), strings.ToUpper(seg[:1]) + seg[1:],
		"%25" + fmt.Sprintf("%02x", seg[0]) + seg[1:], seg[:len(seg)-1] + enc(seg[len(seg)-1])}
	seps := []string{"/", "//", "/./", "/../", "/..%2F", "/%2e%2e/", "/..;/", "/..%5C", "/.%2e/", "/%2F", "/;/", `/..\`}
	ends := []string{"/", "", ";x", "%2F", "/x?y=1", "/..%2F"}
	for _, pre := range []string{"", "/static", "/x", "/app-ab"} {
		for _, sep := range seps {
			generated = append(generated, pre+sep+seg+"/")
		}
	}
	for _, n := range names {
		for _, end := range ends {
			generated = append(generated, "/"+n+end)
		}
		for _, sep := range seps {
			generated = append(generated, "/x"+sep+n+"/")
		}
	}
	return written, generated
}

// escapeTargets are tricks under the public prefix /kserve/ that escape to
// /seg/ (and to the other protected prefixes), sent anonymously.
func escapeTargets(seg string) (written, generated []string) {
	w, g := trickTargets(seg)
	for _, t := range append(w, g...) {
		generated = append(generated, "/kserve"+t)
	}
	for _, p := range []string{seg, "admin", "app-a", "batch", "finance"} {
		written = append(written, "/kserve/..%2F"+p+"/", "/kserve/..;/"+p+"/", "/kserve/%2e%2e/"+p+"/", `/kserve/..\`+p+"/")
	}
	// siblings of the public prefix: the dashboard's, which needs a login
	written = append(written, "/kserve-admin/", "/kservex", "/kserve_v2/", "/kserve%2Dadmin/")
	return written, generated
}
