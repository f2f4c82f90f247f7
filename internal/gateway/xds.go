package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	// Every typed config istiod may put in a gateway's xDS must resolve, or
	// the JSON does not decode: the Envoy extensions this package reads or
	// accepts, and Istio's own filter configs.
	_ "github.com/cncf/xds/go/udpa/type/v1"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/grpc_stats/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/request_id/uuid/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	_ "istio.io/api/envoy/config/filter/http/alpn/v2alpha1"
	_ "istio.io/api/envoy/extensions/stats"
)

// XDS is what istiod generated for the gateway proxy: the JSON object that
// bin/istiod-xds writes.
type XDS struct {
	Listeners []*listener.Listener
	Routes    []*route.RouteConfiguration
	Clusters  []*cluster.Cluster
	Messages  []Message
}

// Message is one validation message istiod's checks produced.
type Message struct {
	Severity string `json:"severity"`
	Object   string `json:"object"`
	Message  string `json:"message"`
}

// ParseXDS decodes bin/istiod-xds output strictly (protojson: unknown
// fields and unresolvable typed configs are errors). Every problem is
// reported, not only the first.
func ParseXDS(b []byte) (*XDS, error) {
	var raw struct {
		Listeners []json.RawMessage `json:"listeners"`
		Routes    []json.RawMessage `json:"routes"`
		Clusters  []json.RawMessage `json:"clusters"`
		Messages  []Message         `json:"messages"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("istiod xds: %w", err)
	}
	x := &XDS{Messages: raw.Messages}
	var errs []error
	for i, r := range raw.Listeners {
		m := &listener.Listener{}
		errs = append(errs, decode("listeners", i, r, m))
		x.Listeners = append(x.Listeners, m)
	}
	for i, r := range raw.Routes {
		m := &route.RouteConfiguration{}
		errs = append(errs, decode("routes", i, r, m))
		x.Routes = append(x.Routes, m)
	}
	for i, r := range raw.Clusters {
		m := &cluster.Cluster{}
		errs = append(errs, decode("clusters", i, r, m))
		x.Clusters = append(x.Clusters, m)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return x, nil
}

func decode(what string, i int, b []byte, m proto.Message) error {
	if err := protojson.Unmarshal(b, m); err != nil {
		return fmt.Errorf("istiod xds %s[%d]: %w", what, i, err)
	}
	return nil
}
