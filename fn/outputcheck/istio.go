package outputcheck

import (
	"encoding/json"

	"google.golang.org/protobuf/proto"
	extensionsv1alpha1 "istio.io/api/extensions/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1beta1 "istio.io/api/networking/v1beta1"
	securityv1beta1 "istio.io/api/security/v1beta1"
	telemetryv1alpha1 "istio.io/api/telemetry/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// istioKinds maps Istio kinds to their spec message and served versions.
// istio.io/api's v1 and v1beta1 packages alias the older messages, so one
// constructor serves every version.
var istioKinds = map[gk]*istioKind{
	{"networking.istio.io", "VirtualService"}:  networking(func() proto.Message { return &networkingv1alpha3.VirtualService{} }),
	{"networking.istio.io", "DestinationRule"}: networking(func() proto.Message { return &networkingv1alpha3.DestinationRule{} }),
	{"networking.istio.io", "Gateway"}:         networking(func() proto.Message { return &networkingv1alpha3.Gateway{} }),
	{"networking.istio.io", "ServiceEntry"}:    networking(func() proto.Message { return &networkingv1alpha3.ServiceEntry{} }),
	{"networking.istio.io", "Sidecar"}:         networking(func() proto.Message { return &networkingv1alpha3.Sidecar{} }),
	{"networking.istio.io", "WorkloadEntry"}:   networking(func() proto.Message { return &networkingv1alpha3.WorkloadEntry{} }),
	{"networking.istio.io", "WorkloadGroup"}:   networking(func() proto.Message { return &networkingv1alpha3.WorkloadGroup{} }),
	{"networking.istio.io", "EnvoyFilter"}:     {versions: []string{"v1alpha3"}, spec: func() proto.Message { return &networkingv1alpha3.EnvoyFilter{} }},
	{"networking.istio.io", "ProxyConfig"}:     {versions: []string{"v1beta1"}, spec: func() proto.Message { return &networkingv1beta1.ProxyConfig{} }},

	{"security.istio.io", "AuthorizationPolicy"}:   security(func() proto.Message { return &securityv1beta1.AuthorizationPolicy{} }),
	{"security.istio.io", "RequestAuthentication"}: security(func() proto.Message { return &securityv1beta1.RequestAuthentication{} }),
	{"security.istio.io", "PeerAuthentication"}:    security(func() proto.Message { return &securityv1beta1.PeerAuthentication{} }),

	{"telemetry.istio.io", "Telemetry"}:   {versions: []string{"v1alpha1", "v1"}, spec: func() proto.Message { return &telemetryv1alpha1.Telemetry{} }},
	{"extensions.istio.io", "WasmPlugin"}: {versions: []string{"v1alpha1"}, spec: func() proto.Message { return &extensionsv1alpha1.WasmPlugin{} }},
}

type istioKind struct {
	versions []string
	spec     func() proto.Message
}

func networking(spec func() proto.Message) *istioKind {
	return &istioKind{versions: []string{"v1alpha3", "v1beta1", "v1"}, spec: spec}
}

func security(spec func() proto.Message) *istioKind {
	return &istioKind{versions: []string{"v1beta1", "v1"}, spec: spec}
}

// istioObject is the envelope of every Istio custom resource. It is decoded
// strictly so a misplaced top-level key (a "spec" field one level too high)
// is caught, not pruned by the API server.
type istioObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              json.RawMessage `json:"spec"`
	Status            json.RawMessage `json:"status,omitempty"`
}

func (r *run) istio(o *object) {
	k := istioKinds[gk{o.group, o.kind}]
	served := false
	for _, v := range k.versions {
		served = served || v == o.version
	}
	if !served {
		r.add(o, "apiVersion", "version "+o.version+" of "+o.kind+" is not served; use one of "+o.group+"/"+joinWords(k.versions))
		return
	}
	if o.name == "" {
		r.add(o, "metadata.name", "required")
	}
	var env istioObject
	if errs := strictDecode(o.json, &env); len(errs) > 0 {
		r.addAll(o, "", errs)
		return
	}
	if len(env.Spec) == 0 || string(env.Spec) == "null" {
		r.add(o, "spec", "required")
		return
	}
	msg := k.spec()
	if errs := checkProto(env.Spec, msg); len(errs) > 0 {
		r.addAll(o, "spec", errs)
		return
	}
	r.facts.addIstio(o, msg)
}

func joinWords(ws []string) string {
	s := ""
	for i, w := range ws {
		if i > 0 {
			s += ", "
		}
		s += w
	}
	return s
}
