package outputcheck

import (
	"strconv"

	"google.golang.org/protobuf/proto"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	corev1 "k8s.io/api/core/v1"
)

// facts is what the per-object checks learned that the cross-object checks
// need. Only objects that passed their own checks contribute: comparing
// against a half-understood object would produce noise.
type facts struct {
	services        map[string]map[int32]bool // "name.namespace" -> ports
	serviceNS       map[string]bool           // namespaces with at least one Service
	meshes          []meshFacts
	customPolicies  []customPolicy
	routes          []routeDest
	jwtIssuers      []string
	haveRequestAuth bool
	dex             []dexFacts
	oauth2Proxies   []oauth2ProxyFacts
	jwtRules        []jwtRuleFact
	checkServers    []checkServerFacts
}

type meshFacts struct {
	obj       *object
	field     string
	providers map[string]meshProvider
	order     []string
}

type meshProvider struct {
	index   int
	ext     bool // an ext_authz provider (HTTP or gRPC)
	service string
	port    uint32
}

type customPolicy struct {
	obj      *object
	provider string
}

type routeDest struct {
	obj   *object
	field string
	host  string
	port  uint32
}

func (f *facts) addService(o *object, svc *corev1.Service) {
	if f.services == nil {
		f.services, f.serviceNS = map[string]map[int32]bool{}, map[string]bool{}
	}
	ports := map[int32]bool{}
	for _, p := range svc.Spec.Ports {
		ports[p.Port] = true
	}
	f.services[svc.Name+"."+svc.Namespace] = ports
	f.serviceNS[svc.Namespace] = true
}

func (f *facts) addMesh(o *object, field string, mc *meshv1alpha1.MeshConfig) {
	m := meshFacts{obj: o, field: field, providers: map[string]meshProvider{}}
	for i, p := range mc.GetExtensionProviders() {
		mp := meshProvider{index: i}
		switch {
		case p.GetEnvoyExtAuthzHttp() != nil:
			mp.ext, mp.service, mp.port = true, p.GetEnvoyExtAuthzHttp().GetService(), p.GetEnvoyExtAuthzHttp().GetPort()
		case p.GetEnvoyExtAuthzGrpc() != nil:
			mp.ext, mp.service, mp.port = true, p.GetEnvoyExtAuthzGrpc().GetService(), p.GetEnvoyExtAuthzGrpc().GetPort()
		}
		m.providers[p.GetName()] = mp
		m.order = append(m.order, p.GetName())
	}
	f.meshes = append(f.meshes, m)
}

func (f *facts) addIstio(o *object, msg proto.Message) {
	switch m := msg.(type) {
	case *securityv1beta1.AuthorizationPolicy:
		if m.GetAction() == securityv1beta1.AuthorizationPolicy_CUSTOM {
			f.customPolicies = append(f.customPolicies, customPolicy{obj: o, provider: m.GetProvider().GetName()})
		}
	case *securityv1beta1.RequestAuthentication:
		f.haveRequestAuth = true
		for i, r := range m.GetJwtRules() {
			f.jwtIssuers = append(f.jwtIssuers, r.GetIssuer())
			f.jwtRules = append(f.jwtRules, jwtRuleFact{obj: o, field: "spec.jwtRules[" + strconv.Itoa(i) + "]", rule: r})
		}
	case *networkingv1alpha3.VirtualService:
		f.addRoutes(o, m)
	}
}

func (f *facts) addRoutes(o *object, vs *networkingv1alpha3.VirtualService) {
	add := func(field string, d *networkingv1alpha3.Destination) {
		if d == nil {
			return
		}
		f.routes = append(f.routes, routeDest{obj: o, field: field + ".host", host: d.GetHost(), port: d.GetPort().GetNumber()})
	}
	for i, h := range vs.GetHttp() {
		p := "spec.http[" + strconv.Itoa(i) + "]"
		for j, d := range h.GetRoute() {
			add(p+".route["+strconv.Itoa(j)+"].destination", d.GetDestination())
		}
		add(p+".mirror", h.GetMirror())
		for j, m := range h.GetMirrors() {
			add(p+".mirrors["+strconv.Itoa(j)+"].destination", m.GetDestination())
		}
	}
	for i, t := range vs.GetTcp() {
		for j, d := range t.GetRoute() {
			add("spec.tcp["+strconv.Itoa(i)+"].route["+strconv.Itoa(j)+"].destination", d.GetDestination())
		}
	}
	for i, t := range vs.GetTls() {
		for j, d := range t.GetRoute() {
			add("spec.tls["+strconv.Itoa(i)+"].route["+strconv.Itoa(j)+"].destination", d.GetDestination())
		}
	}
}
