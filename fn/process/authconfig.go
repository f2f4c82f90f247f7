package process

import (
	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/api"
)

func isAuthConfig(o *fn.KubeObject) bool {
	return o != nil && o.GetKind() == api.Kind && o.GroupKind().Group == api.Group
}

// findAuthConfig returns the AuthConfig: the function config, or else the
// one AuthConfig among the items (kpt fn eval without --fn-config).
func findAuthConfig(fc *fn.KubeObject, items fn.KubeObjects) (*fn.KubeObject, *fn.Result) {
	if fc != nil && fc.GetKind() != "" && !placeholderConfig(fc) {
		if isAuthConfig(fc) {
			return fc, nil
		}
		return nil, &fn.Result{Severity: fn.Error, Message: "the function config is " + fc.GetKind() + " " + fc.GetAPIVersion() +
			", not an AuthConfig; pass an AuthConfig (apiVersion " + api.APIVersion + ") as the function config"}
	}
	var found []*fn.KubeObject
	for _, it := range items {
		if isAuthConfig(it) {
			found = append(found, it)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, &fn.Result{Severity: fn.Error, Message: "no AuthConfig: pass one as the function config or put exactly one in the package"}
	}
	return nil, &fn.Result{Severity: fn.Error, Message: "the package holds several AuthConfigs; pass the one to render as the function config"}
}

// placeholderConfig is the empty ConfigMap kpt passes as the function config
// when `kpt fn eval` runs without --fn-config: it means "no config".
func placeholderConfig(fc *fn.KubeObject) bool {
	if fc.GetKind() != "ConfigMap" || fc.GetAPIVersion() != "v1" {
		return false
	}
	data, _, _ := fc.NestedStringMap("data")
	bin, _, _ := fc.NestedStringMap("binaryData")
	return len(data) == 0 && len(bin) == 0
}

// load decodes, defaults and validates; problems become error results with
// their field paths.
func load(obj *fn.KubeObject) (api.AuthConfig, fn.Results) {
	c, errs := api.Decode([]byte(obj.String()))
	if len(errs) == 0 {
		c = api.Defaulted(c)
		errs = api.Validate(c)
	}
	var results fn.Results
	for _, e := range errs {
		r := &fn.Result{
			Severity: fn.Error,
			Message:  e.Message,
			Field:    &fn.Field{Path: e.Path},
			ResourceRef: &fn.ResourceRef{
				APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace(),
			},
		}
		if p := pathOf(obj); p != "" {
			r.File = &fn.File{Path: p}
		}
		results = append(results, r)
	}
	return c, results
}
