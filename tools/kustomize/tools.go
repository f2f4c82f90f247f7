//go:build tools

// Package tools pins the kustomize CLI that the Makefile installs into ./bin.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
