package checkserver

import (
	"net/http"
	"strings"
)

// HTTPHandler is the Envoy ext_authz HTTP service (Istio envoyExtAuthzHttp).
//
// Protocol (envoy ext_authz_http_impl.cc): Envoy sends the original method,
// pathPrefix+original path and query, the allowed headers plus Host, Method,
// Path, Content-Length and Authorization, no body. Only status 200 is an
// allow; then the response headers listed in headersToUpstreamOnAllow
// overwrite the upstream request's, and the comma-separated names in
// x-envoy-auth-headers-to-remove are deleted from it (after the sets). 5xx
// is an error (failOpen/statusOnError apply); any other status is a deny
// passed to the client with the headers in headersToDownstreamOnDeny.
type HTTPHandler struct {
	Checker    *Checker
	PathPrefix string
}

func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.RequestURI
	if h.PathPrefix != "" {
		if !strings.HasPrefix(target, h.PathPrefix) {
			// Not a request Envoy would build with this prefix: deny.
			http.Error(w, "check request outside path prefix", http.StatusForbidden)
			return
		}
		target = strings.TrimPrefix(target, h.PathPrefix)
	}
	d := h.Checker.Check(r.Context(), "http", &Request{Method: r.Method, Path: target, Host: r.Host, Header: r.Header})
	out := w.Header()
	for _, hv := range d.Downstream {
		out.Add(hv.Name, hv.Value)
	}
	if d.Allow {
		for _, hv := range d.Upstream {
			out.Set(hv.Name, hv.Value)
		}
		if len(d.Remove) > 0 {
			out.Set("X-Envoy-Auth-Headers-To-Remove", strings.Join(d.Remove, ","))
		}
		// Exactly 200: Envoy treats every other 2xx (oauth2-proxy's 202
		// included) as a deny.
		w.WriteHeader(http.StatusOK)
		return
	}
	out.Set("Content-Type", "text/plain; charset=utf-8")
	out.Set("Cache-Control", "no-store")
	w.WriteHeader(d.Status)
	_, _ = w.Write([]byte(d.Body))
}
