package loopback

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// Registry is cluster DNS on loopback: a Service's host:port → the
// 127.0.0.1 address of the program behind it.
type Registry map[string]string

// Route points the ports of svc whose targetPort is the container port
// listenPort (the port the emitted config listens on) at addr. A Service
// whose targetPort names another port stays unresolved, as it would not
// reach the program in a cluster.
func (r Registry) Route(svc map[string]any, w Workload, listenPort, addr string) {
	host := str(svc, "metadata", "name") + "." + str(svc, "metadata", "namespace") + ".svc.cluster.local"
	ports, _ := Nested(svc, "spec", "ports").([]any)
	for _, p := range ports {
		pm, _ := p.(map[string]any)
		port, _ := pm["port"].(float64)
		tp := pm["targetPort"]
		if tp == nil {
			tp = port
		}
		if cp, ok := w.port(tp); ok && strconv.Itoa(cp) == listenPort {
			r[fmt.Sprintf("%s:%d", host, int(port))] = addr
		}
	}
}

// resolve rewrites an in-cluster URL's host to the loopback address its
// Service port resolves to.
func (r Registry) resolve(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("%q: %w", u, err)
	}
	hp := pu.Host
	if pu.Port() == "" {
		hp += ":80"
	}
	addr, ok := r[hp]
	if !ok {
		known := make([]string, 0, len(r))
		for k := range r {
			known = append(known, k)
		}
		slices.Sort(known)
		return "", fmt.Errorf("%q names no Service port of the stack (known: %v)", u, known)
	}
	pu.Host = addr
	return pu.String(), nil
}
