package outputcheck

import (
	"errors"
	"strings"

	sigsjson "sigs.k8s.io/json"
)

// fieldError is a problem inside one decoded document, before it is
// attributed to an object.
type fieldError struct {
	Field   string
	Message string
}

// strictDecode decodes JSON into v the way the Kubernetes API server does in
// strict mode (case-sensitive names, unknown and duplicate fields are
// errors) and returns every strict error with its field path, plus any type
// error. Plain encoding/json would match names case-insensitively and ignore
// unknown fields: exactly the silent typos this package exists to catch.
func strictDecode(data []byte, v any) []fieldError {
	strictErrs, err := sigsjson.UnmarshalStrict(data, v)
	var out []fieldError
	if err != nil {
		out = append(out, fieldError{Message: strings.TrimPrefix(err.Error(), "json: ")})
	}
	for _, e := range strictErrs {
		var fp interface{ FieldPath() string }
		if errors.As(e, &fp) {
			if isPatchDirective(fp.FieldPath()) {
				continue
			}
			msg := e.Error()
			if i := strings.IndexByte(msg, ' '); i > 0 && strings.HasPrefix(msg, "unknown field") {
				msg = "unknown field"
			} else if strings.HasPrefix(msg, "duplicate field") {
				msg = "duplicate field"
			}
			out = append(out, fieldError{Field: fp.FieldPath(), Message: msg})
			continue
		}
		out = append(out, fieldError{Message: e.Error()})
	}
	return out
}

// isPatchDirective is true for strategic-merge-patch directives ($patch,
// $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList/...): a
// component's patch files are partial objects that may carry them, and
// kustomize consumes them before anything reaches the API server.
func isPatchDirective(path string) bool {
	last := path[strings.LastIndexAny(path, ".]")+1:]
	return strings.HasPrefix(last, "$patch") || strings.HasPrefix(last, "$setElementOrder") ||
		strings.HasPrefix(last, "$retainKeys") || strings.HasPrefix(last, "$deleteFromPrimitiveList")
}
