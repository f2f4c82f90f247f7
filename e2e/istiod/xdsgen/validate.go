package xdsgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"istio.io/istio/manifests"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/resource"
	"istio.io/istio/pkg/webhooks/validation/server"
)

// crdFile is Istio's CRD bundle inside the pinned module (the base chart installs exactly these).
const crdFile = "charts/base/files/crd-all.gen.yaml"

// istiodSchemas are the kinds istiod serves and its webhook validates (pilot/pkg/bootstrap/validation.go).
var istiodSchemas = collections.PilotGatewayAPI()

var (
	validatorOnce sync.Once
	validator     *crdValidator
	validatorErr  error
	webhookMux    *http.ServeMux
)

// setupValidation loads Istio's CRDs (schema + CEL) from the module and registers istiod's
// validating webhook on an in-process mux: the same handler istiod serves, called without a network.
func setupValidation(extraCRDs []byte) error {
	validatorOnce.Do(func() {
		data, err := manifests.FS.ReadFile(crdFile)
		if err != nil {
			validatorErr = fmt.Errorf("istio CRDs: %w", err)
			return
		}
		if len(extraCRDs) > 0 {
			data = append(append(data, "\n---\n"...), extraCRDs...)
		}
		if validator, validatorErr = newCRDValidator(data); validatorErr != nil {
			return
		}
		webhookMux = http.NewServeMux()
		_, validatorErr = server.New(server.Options{Schemas: istiodSchemas, DomainSuffix: "cluster.local", Mux: webhookMux})
	})
	return validatorErr
}

// isIstioConfig reports whether the object is configuration for istiod (an Istio or Gateway API group).
func isIstioConfig(o *object) bool {
	g := o.group()
	return g == "istio.io" || strings.HasSuffix(g, ".istio.io") || g == "gateway.networking.k8s.io"
}

// validateIstio runs one Istio object through the CRD schema + CEL rules, then istiod's webhook, and
// converts it to istiod's config model. cfg is nil when the API server or the webhook would refuse it.
func validateIstio(o *object) (cfg *config.Config, msgs []Message) {
	add := func(sev, format string, args ...any) {
		msgs = append(msgs, Message{Severity: sev, Object: o.ref(), Message: fmt.Sprintf(format, args...)})
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(o.raw); err != nil {
		add(SeverityError, "decode: %v", err)
		return nil, msgs
	}
	schema, served := istiodSchemas.FindByGroupKind(resource.FromKubernetesGVK(ptr(u.GroupVersionKind())))
	crdErr := validator.ValidateCustomResource(u)
	switch {
	case crdErr != nil && errors.Is(crdErr, errNoValidator) && served:
		add(SeverityWarning, "no CRD schema for %s in Istio's CRD bundle; checked by the webhook only", o.APIVersion)
	case crdErr != nil && errors.Is(crdErr, errNoValidator):
		add(SeverityWarning, "%s %s is neither in Istio's CRDs nor served by istiod; ignored", o.APIVersion, o.Kind)
		return nil, msgs
	case crdErr != nil:
		add(SeverityError, "CRD schema: %v", crdErr)
	}
	if !served {
		// A valid Istio CR istiod does not read (IstioOperator, WasmPlugin on old versions, ...).
		return nil, msgs
	}
	allowed, warnings, reason := callWebhook(o, schema)
	for _, w := range warnings {
		add(SeverityWarning, "webhook: %s", w)
	}
	if !allowed {
		add(SeverityError, "webhook: %s", reason)
	}
	// An object whose kind has no CRD here (warned above) goes on with the webhook's verdict.
	if (crdErr != nil && !errors.Is(crdErr, errNoValidator)) || !allowed {
		return nil, msgs
	}
	var kind crd.IstioKind
	if err := json.Unmarshal(o.raw, &kind); err != nil {
		add(SeverityError, "decode: %v", err)
		return nil, msgs
	}
	c, err := crd.ConvertObject(schema, &kind, "cluster.local")
	if err != nil {
		add(SeverityError, "convert: %v", err)
		return nil, msgs
	}
	if c.Namespace == "" && !schema.IsClusterScoped() {
		c.Namespace = "default"
	}
	return c, msgs
}

// callWebhook posts an AdmissionReview (CREATE) to istiod's validation handler and returns its verdict.
func callWebhook(o *object, s resource.Schema) (allowed bool, warnings []string, reason string) {
	ns := o.Metadata.Namespace
	review := map[string]any{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"request": map[string]any{
			"uid":       "istiod-xds",
			"kind":      map[string]string{"group": s.Group(), "version": s.Version(), "kind": s.Kind()},
			"resource":  map[string]string{"group": s.Group(), "version": s.Version(), "resource": s.Plural()},
			"namespace": ns,
			"name":      o.Metadata.Name,
			"operation": "CREATE",
			"object":    json.RawMessage(o.raw),
		},
	}
	body, _ := json.Marshal(review)
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	webhookMux.ServeHTTP(rec, req)
	var resp struct {
		Response struct {
			Allowed  bool     `json:"allowed"`
			Warnings []string `json:"warnings"`
			Status   struct {
				Message string `json:"message"`
			} `json:"status"`
		} `json:"response"`
	}
	if rec.Code != http.StatusOK {
		return false, nil, fmt.Sprintf("HTTP %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return false, nil, fmt.Sprintf("unreadable answer: %v", err)
	}
	return resp.Response.Allowed, resp.Response.Warnings, resp.Response.Status.Message
}

func ptr[T any](v T) *T { return &v }
