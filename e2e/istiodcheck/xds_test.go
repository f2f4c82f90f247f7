package istiodcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"meshauth.dev/meshauth/internal/kubeapi"

	// The filter configs istiod emits for a gateway, so their Any fields decode.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/grpc_stats/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// generated is bin/istiod-xds's answer (XDS_CONTRACT.md), decoded into go-control-plane types.
type generated struct {
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Messages  []message
	exit      int
}

type message struct {
	Severity, Object, Message string
}

func (m message) String() string { return m.Severity + ": " + m.Object + ": " + m.Message }

// istiodBin is bin/istiod-xds; the tests skip, naming the make target, when it is not built.
func istiodBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: istiod runs take seconds per case")
	}
	bin := filepath.Join(repoRoot(t), "bin", "istiod-xds")
	if _, err := os.Stat(bin); err != nil {
		t.Skip("bin/istiod-xds is not built: run `make istiod-xds` (slow when cold, see docs/istiod.md)")
	}
	return bin
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runIstiod feeds the YAML stream to istiod for the gateway proxy and decodes the answer.
func runIstiod(t *testing.T, stream []byte, gw gatewayProxy, mesh [2]string, meshKey string, env ...string) *generated {
	t.Helper()
	bin := istiodBin(t)
	args := []string{"-proxy-namespace", gw.namespace, "-proxy-labels", gw.labelArg(),
		"-mesh-configmap", mesh[0] + "/" + mesh[1], "-mesh-key", meshKey}
	// The Gateway API's CRDs (schema and CEL rules), which Istio's bundle lacks.
	files, err := kubeapi.GatewayAPICRDFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		args = append(args, "-crds", f)
	}
	args = append(args, "-")
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stream)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	exit := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if exit == 2 {
		t.Fatalf("istiod-xds: usage or I/O problem:\n%s", stderr.String())
	}
	var raw struct {
		Listeners, Routes, Clusters []json.RawMessage
		Messages                    []message
	}
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatalf("istiod-xds output is not the contract's JSON: %v\n%s", err, stderr.String())
	}
	out := &generated{Messages: raw.Messages, exit: exit}
	for _, r := range raw.Listeners {
		out.Listeners = append(out.Listeners, decode(t, r, &listenerv3.Listener{}))
	}
	for _, r := range raw.Routes {
		out.Routes = append(out.Routes, decode(t, r, &routev3.RouteConfiguration{}))
	}
	for _, r := range raw.Clusters {
		out.Clusters = append(out.Clusters, decode(t, r, &clusterv3.Cluster{}))
	}
	return out
}

func decode[T proto.Message](t *testing.T, raw json.RawMessage, m T) T {
	t.Helper()
	if err := (protojson.UnmarshalOptions{Resolver: resolver{}, DiscardUnknown: true}).Unmarshal(raw, m); err != nil {
		t.Fatalf("decode %T: %v", m, err)
	}
	return m
}

// resolver resolves what go-control-plane knows and decodes any other Any (istio's own
// metadata-exchange and stats filters) as an empty message: the checks never read those.
type resolver struct{}

func (resolver) FindMessageByName(n protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(n); err == nil {
		return mt, nil
	}
	return unknownType, nil
}

func (resolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByURL(url); err == nil {
		return mt, nil
	}
	return unknownType, nil
}

func (resolver) FindExtensionByName(n protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(n)
}

func (resolver) FindExtensionByNumber(m protoreflect.FullName, f protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(m, f)
}

var unknownType = func() protoreflect.MessageType {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("meshauth/istiodcheck/unknown.proto"),
		Package:     proto.String("meshauth.istiodcheck"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Unknown")}},
	}, nil)
	if err != nil {
		panic(err)
	}
	return dynamicpb.NewMessageType(fd.Messages().Get(0))
}()

// gatewayProxy is the ingress gateway pod istiod generates for.
type gatewayProxy struct {
	namespace string
	labels    map[string]string
}

func (g gatewayProxy) labelArg() string {
	var kv []string
	for k, v := range g.labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// report logs warnings and returns the error messages.
func (g *generated) report(t *testing.T) []string {
	t.Helper()
	var errs []string
	for _, m := range g.Messages {
		if m.Severity == "error" {
			errs = append(errs, m.String())
		} else {
			t.Logf("istiod %s", m)
		}
	}
	if g.exit != 0 && len(errs) == 0 {
		errs = append(errs, "istiod-xds exited 1 without an error message")
	}
	return errs
}
