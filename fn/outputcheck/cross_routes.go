package outputcheck

import "strconv"

// checkRouteHosts: a VirtualService destination that is not a Service
// answers 503 "no healthy upstream" (or is dropped by istiod) — a typo in
// the namespace is the usual cause. Only in-cluster hosts whose namespace's
// Services are in the set are checked; with no port given the Service must
// have exactly one port, as Istio requires.
func (r *run) checkRouteHosts() {
	for _, d := range r.facts.routes {
		ref, ok := parseServiceHost(d.host, d.obj.namespace)
		if !ok {
			continue
		}
		ports, known := r.facts.lookupService(ref)
		switch {
		case !known:
		case ports == nil:
			r.add(d.obj, d.field, "no Service "+ref.name+" in namespace "+ref.namespace)
		case d.port != 0 && !ports[int32(d.port)]:
			r.add(d.obj, d.field, "Service "+ref.namespace+"/"+ref.name+" has no port "+strconv.Itoa(int(d.port)))
		case d.port == 0 && len(ports) > 1:
			r.add(d.obj, d.field, "Service "+ref.namespace+"/"+ref.name+" has several ports: set destination.port.number")
		}
	}
}
