// Package apiservercheck holds the tests that put meshauth's output in front of
// a real kube-apiserver (internal/kubeapi) with Istio's CRDs and the
// AuthConfig CRD installed: a server-side dry-run (schema, CEL rules,
// strict field validation, admission) of every golden case and every
// overlay's kustomize build, and the AuthConfig CRD against the bad-input
// catalogue. Everything is in _test.go files; see docs/crd-validation.md.
package apiservercheck
