package outputcheck

import (
	"strconv"
	"strings"
)

// cross runs the checks that need more than one object. Each runs only when
// the objects it compares are in the set: the function renders components
// separately, and a component alone must not fail for what lives in another.
func (r *run) cross() {
	r.checkCustomProviders()
	r.checkProviderServices()
	r.checkRouteHosts()
	r.checkIssuers()
	r.checkRedirectURL()
	r.checkOneIdentity()
}

// serviceRef is a host name resolved to a Kubernetes Service.
type serviceRef struct{ name, namespace string }

// parseServiceHost understands the in-cluster forms of a Service host:
// name.namespace.svc.cluster.local, name.namespace.svc, name.namespace and
// Istio's namespace/host; a bare name resolves against defaultNS when that
// is known. Anything else (external hosts, wildcards) is not resolved.
func parseServiceHost(host, defaultNS string) (serviceRef, bool) {
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[i+1:]
	}
	if strings.Contains(host, "*") || host == "" {
		return serviceRef{}, false
	}
	host = strings.TrimSuffix(host, ".svc.cluster.local")
	host = strings.TrimSuffix(host, ".svc")
	parts := strings.Split(host, ".")
	switch {
	case len(parts) == 1 && defaultNS != "":
		return serviceRef{parts[0], defaultNS}, true
	case len(parts) == 2:
		return serviceRef{parts[0], parts[1]}, true
	}
	return serviceRef{}, false
}

// lookupService reports whether the set can answer for ref (some Service
// of its namespace is present) and, if so, the Service's ports (nil when
// there is no such Service).
func (f *facts) lookupService(ref serviceRef) (ports map[int32]bool, known bool) {
	if !f.serviceNS[ref.namespace] {
		return nil, false
	}
	return f.services[ref.name+"."+ref.namespace], true
}

// servicePorts are the ports of the Service ref names, or nil when there is
// nothing more to check: its namespace's Services are not in the set, or it
// is not among them (reported on field).
func (r *run) servicePorts(o *object, field string, ref serviceRef) map[int32]bool {
	ports, known := r.facts.lookupService(ref)
	if known && ports == nil {
		r.add(o, field, "no Service "+ref.name+" in namespace "+ref.namespace)
	}
	return ports
}

// noPort is the problem of a port the Service does not have.
func (ref serviceRef) noPort(port int) string {
	return "Service " + ref.namespace + "/" + ref.name + " has no port " + strconv.Itoa(port)
}
