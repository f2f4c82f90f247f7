// Package gateway is a stand-in for the Envoy of the Istio ingress gateway,
// driven by the xDS istiod generated for it (listeners, routes and clusters,
// the JSON that bin/istiod-xds writes; see XDS_CONTRACT in the e2e docs).
//
// Envoy cannot run on the machines the tests run on, so this package follows
// Envoy's documented behaviour (the API reference in the comments of the
// envoy/... protos of go-control-plane, and the filter docs) for the subset of
// Envoy that istiod emits for a meshauth gateway:
//
//   - the HTTP connection manager of the listener serving the port, its HTTP
//     filters in order: envoy.filters.http.rbac (enforcing, and the shadow
//     rules with the istio_ext_authz_ stat prefix that enable ext_authz through
//     dynamic metadata), envoy.filters.http.ext_authz (HTTP and gRPC),
//     envoy.filters.http.jwt_authn, envoy.filters.http.header_mutation, and the
//     router; Istio's telemetry and protocol filters that do not change a
//     request (istio.metadata_exchange, istio.stats, istio.alpn, grpc_stats,
//     fault and cors without a per-route policy) are accepted as no-ops;
//   - the route configuration: virtual hosts by domain, route match
//     (prefix, path, safe_regex, path_separated_prefix, headers, case), redirect,
//     direct response, route to a cluster with prefix rewrite and host rewrite,
//     request and response header add/remove at every level, per-route filter
//     config (ext_authz disabled, header mutation);
//   - clusters, mapped to loopback addresses by the caller's registry.
//
// Anything else in the xDS — an unknown filter, a matcher kind, a field with
// a non-default value that this package would otherwise ignore — makes New
// fail with an error naming it, so the stand-in never silently diverges from
// what Envoy would do with the same configuration.
//
// What is deliberately simplified, and why it does not change a decision:
// access logs, stats, tracing and request ids (observability only); timeouts
// and retries towards upstreams (a test's upstream on 127.0.0.1 answers or
// fails, it is not retried); connection-level settings (HTTP/1.1 and h2c
// only). Each accepted-but-ignored field is listed in fields.go with its
// reason.
package gateway
