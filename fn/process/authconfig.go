package process

import (
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

func isAuthConfig(o *fn.KubeObject) bool {
	return o != nil && o.GetKind() == api.Kind && o.GroupKind().Group == api.Group
}

// findAuthConfig returns the AuthConfig: the function config, or else the
// one AuthConfig among the items (kpt fn eval without --fn-config). One
// stream renders one stack: any other AuthConfig in it — a second file in a
// kpt package, or the mark a second kustomize transformer finds (see
// stackMarker) — is an error, since both would write the same objects and
// only the last would survive.
func findAuthConfig(config *fn.KubeObject, items fn.KubeObjects) (*fn.KubeObject, *fn.Result) {
	var fc *fn.KubeObject
	if c := config; c != nil && c.GetKind() != "" && !placeholderConfig(c) {
		if !isAuthConfig(c) {
			return nil, &fn.Result{Severity: fn.Error, Message: "the function config is " + c.GetKind() + " " + c.GetAPIVersion() +
				", not an AuthConfig; pass an AuthConfig (apiVersion " + api.APIVersion + ") as the function config"}
		}
		fc = c
	}
	var found []*fn.KubeObject
	for _, it := range items {
		if isAuthConfig(it) && (fc == nil || !sameAuthConfig(it, fc)) && !containsAuthConfig(found, it) {
			found = append(found, it)
		}
	}
	switch {
	case fc != nil && len(found) == 0:
		return fc, nil
	case fc != nil:
		return nil, severalAuthConfigs(append(fn.KubeObjects{fc}, found...), "")
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0:
		return nil, fn.GeneralResult("no AuthConfig: pass one as the function config or put exactly one in the package", fn.Error)
	}
	return nil, severalAuthConfigs(found, "; pass the one to render as the function config")
}

func severalAuthConfigs(list fn.KubeObjects, hint string) *fn.Result {
	names := make([]string, len(list))
	for i, o := range list {
		names[i] = fmt.Sprintf("%q", o.GetName())
		switch p := pathOf(o); {
		case o.GetAnnotation(stackMarkAnnotation) != "":
			names[i] += " (rendered earlier in this kustomize build)"
		case p != "":
			names[i] += " in " + p
		case i == 0 && hint == "":
			names[i] += " (the function config)"
		}
	}
	if hint == "" {
		hint = "; one stream renders one stack: keep one AuthConfig, or build the others in their own kustomization or package"
	}
	return fn.GeneralResult(fmt.Sprintf("the stream holds %d AuthConfigs (%s)%s", len(list), strings.Join(names, ", "), hint), fn.Error)
}

// sameAuthConfig tells whether item is the function config itself (kpt
// lists the configPath file among the items too; the exec and container
// flavours of one overlay differ only in their function annotation).
func sameAuthConfig(item, fc *fn.KubeObject) bool {
	if item.GetName() != fc.GetName() || item.GetNamespace() != fc.GetNamespace() {
		return false
	}
	a, _, _ := item.NestedSubObject("spec")
	b, _, _ := fc.NestedSubObject("spec")
	return a.String() == b.String()
}

// containsAuthConfig: an overlay's exec and container flavours are one
// AuthConfig to kpt fn eval, not two.
func containsAuthConfig(list []*fn.KubeObject, o *fn.KubeObject) bool {
	for _, x := range list {
		if sameAuthConfig(x, o) {
			return true
		}
	}
	return false
}

// stackMarkAnnotation marks the copy of the AuthConfig a kustomize run
// leaves in the stream. kustomize runs each transformer in its own process
// and shows it only the stream, so the copy is how a second AuthConfig
// learns that one already ran; being local-config, kustomize drops it from
// the build output.
const stackMarkAnnotation = "meshauth.dev/rendered-stack"

// stackMarker returns the copy to leave in the stream when kustomize runs
// the function (it marks its function config local-config), else nil.
func stackMarker(cfg *fn.KubeObject) *fn.KubeObject {
	if cfg.GetAnnotation(localConfigAnnotation) != "true" || (cfg.GetAnnotation(functionAnnotation) == "" && cfg.GetAnnotation(legacyFunctionAnnot) == "") {
		return nil
	}
	m := fn.NewKubeObjectFromResourceNode(cfg.CopyToResourceNode())
	if err := m.SetAnnotation(stackMarkAnnotation, "true"); err != nil {
		return nil
	}
	return m
}

// placeholderConfig is the empty ConfigMap kpt passes as the function config
// when `kpt fn eval` runs without --fn-config: it means "no config".
// Broader than the SDK's fn.EmptyFunctionConfig, which also requires the
// name function-input and a data key present: any data-less v1 ConfigMap
// is no AuthConfig, so it is treated as absent.
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
	c, errs := api.Load([]byte(userText(obj)))
	return c, FieldResults(errs, obj)
}

// userText is the AuthConfig as its author wrote it, as far as the function
// can tell: without the annotations kpt and kustomize add on the way (and
// the annotations mapping they created), so that the line numbers in
// messages are close to the file's.
func userText(obj *fn.KubeObject) string {
	n := obj.CopyToResourceNode()
	for _, a := range []string{pathAnnotation, internalPathAnnotation, indexAnnotation, internalIndex, localConfigAnnotation,
		"internal.config.kubernetes.io/seqindent", "internal.config.kubernetes.io/id", "internal.config.kubernetes.io/annotations-migration-resource-id",
		"config.k8s.io/id", "kustomize.config.k8s.io/id"} {
		if _, err := n.Pipe(yaml.ClearAnnotation(a)); err != nil {
			return obj.String()
		}
	}
	if m, err := n.Pipe(yaml.Lookup("metadata")); err == nil && m != nil {
		if a := m.Field("annotations"); a != nil && len(a.Value.YNode().Content) == 0 {
			if _, err := m.Pipe(yaml.Clear("annotations")); err != nil {
				return obj.String()
			}
		}
	}
	text, err := n.String()
	if err != nil {
		return obj.String()
	}
	return text
}
