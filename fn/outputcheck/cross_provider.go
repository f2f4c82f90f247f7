package outputcheck

import (
	"slices"
	"strconv"
)

// checkCustomProviders: a CUSTOM AuthorizationPolicy must name an ext_authz
// provider of the mesh config. With an unknown name istiod cannot build the
// ext_authz filter and the gateway denies everything or, for a policy that
// never reaches Envoy, lets requests through unchecked.
func (r *run) checkCustomProviders() {
	if len(r.facts.meshes) == 0 {
		return
	}
	for _, p := range r.facts.customPolicies {
		var names []string
		found, ext := false, false
		for _, m := range r.facts.meshes {
			if mp, ok := m.providers[p.provider]; ok {
				found, ext = true, ext || mp.ext
			}
			names = append(names, m.order...)
		}
		switch {
		case p.provider == "":
			r.add(p.obj, "spec.provider.name", "a CUSTOM policy needs a provider")
		case !found:
			slices.Sort(names)
			r.add(p.obj, "spec.provider.name", "provider "+strconv.Quote(p.provider)+" is not in the mesh config's extensionProviders "+strconv.Quote(joinWords(slices.Compact(names))))
		case !ext:
			r.add(p.obj, "spec.provider.name", "provider "+strconv.Quote(p.provider)+" is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider")
		}
	}
}

// checkProviderServices: an ext_authz provider pointing at a Service or
// port that does not exist makes every request through the gateway fail
// (403 by default). Checked when the namespace's Services are in the set.
func (r *run) checkProviderServices() {
	for _, m := range r.facts.meshes {
		for _, name := range m.order {
			mp := m.providers[name]
			if !mp.ext {
				continue
			}
			field := m.field + ".extensionProviders[" + strconv.Itoa(mp.index) + "]"
			ref, ok := parseServiceHost(mp.service, "")
			if !ok {
				continue
			}
			if ports := r.servicePorts(m.obj, field+".service", ref); ports != nil && !ports[int32(mp.port)] {
				r.add(m.obj, field+".port", ref.noPort(int(mp.port)))
			}
		}
	}
}
