package outputcheck

import (
	"regexp"

	"sigs.k8s.io/kustomize/api/types"
)

const kustomizeGroup = "kustomize.config.k8s.io"

func isKustomization(o *object) bool {
	return o.group == kustomizeGroup && (o.kind == types.KustomizationKind || o.kind == types.ComponentKind)
}

var deprecatedKustomizeField = regexp.MustCompile(`'(\w+)' is deprecated\. Please use '(\w+)'`)

// kustomization strictly decodes a Kustomization or Component. kustomize
// itself rejects unknown fields, but only when someone runs it; the
// function's output should never reach a user in that state. Deprecated
// fields are reported too: kustomize only warns, and every one of them has
// a replacement the generators should use instead.
func (r *run) kustomization(o *object) {
	want := types.KustomizationVersion
	if o.kind == types.ComponentKind {
		want = types.ComponentVersion
	}
	if o.version != "" && o.group+"/"+o.version != want {
		r.add(o, "apiVersion", "a "+o.kind+" must be "+want)
	}
	var k types.Kustomization
	if errs := strictDecode(o.json, &k); len(errs) > 0 {
		r.addAll(o, "", errs)
		return
	}
	if w := k.CheckDeprecatedFields(); w != nil {
		for _, msg := range *w {
			if m := deprecatedKustomizeField.FindStringSubmatch(msg); m != nil {
				r.add(o, m[1], "deprecated field: use "+m[2])
			}
		}
	}
}
