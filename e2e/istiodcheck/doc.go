// Package istiodcheck runs everything meshauth renders through real istiod code (bin/istiod-xds,
// built from the nested module e2e/istiod by `make istiod-xds`): Istio's CRD schemas with CEL, the
// validating webhook, the mesh-config parse and the xDS generation for the ingress gateway, and
// asserts on the generated Envoy config with expectations derived from each AuthConfig. See
// docs/istiod.md. The tests skip under -short and when bin/istiod-xds is missing.
package istiodcheck
