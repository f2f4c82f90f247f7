package process

import (
	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/api"
)

// FieldResults turns AuthConfig field errors into error results, one per
// error, each with its field path: the one converter the function and the
// CLI share. With obj set, each result also names the object and its file.
func FieldResults(errs api.FieldErrors, obj *fn.KubeObject) fn.Results {
	var results fn.Results
	for _, e := range errs {
		r := fn.GeneralResult(e.Message, fn.Error)
		r.Field = &fn.Field{Path: e.Path}
		if obj != nil {
			r.ResourceRef = &fn.ResourceRef{
				APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace(),
			}
			if p := pathOf(obj); p != "" {
				r.File = &fn.File{Path: p}
			}
		}
		results = append(results, r)
	}
	return results
}
