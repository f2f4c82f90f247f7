// Package realapi tests check-server against a real kube-apiserver
// (internal/kubeapi): TokenReview with ServiceAccount tokens from the
// TokenRequest API, check-server's own credentials through RBAC, and the
// cluster's service-account issuer as a JWT issuer (discovery and JWKS
// fetched with check-server's token and the cluster CA). Only _test.go
// files; checkserver/internal/testapiserver stays for what a lone API
// server cannot be made to do (answer 5xx).
package realapi
