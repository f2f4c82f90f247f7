package outputcheck

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
		ports := r.servicePorts(d.obj, d.field, ref)
		switch {
		case ports == nil:
		case d.port != 0 && !ports[int32(d.port)]:
			r.add(d.obj, d.field, ref.noPort(int(d.port)))
		case d.port == 0 && len(ports) > 1:
			r.add(d.obj, d.field, "Service "+ref.namespace+"/"+ref.name+" has several ports: set destination.port.number")
		}
	}
}
