//go:build tools

// Package tools pins kube-apiserver for the tests that need a real API
// server; `make kube-apiserver` builds k8s.io/kubernetes/cmd/kube-apiserver
// from this module into ./bin/kube-apiserver.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
