//go:build tools

// Package tools pins etcd for the tests that need a real API server;
// `make etcd` builds go.etcd.io/etcd/server/v3 from this module into ./bin/etcd.
package tools

import _ "go.etcd.io/etcd/server/v3"
