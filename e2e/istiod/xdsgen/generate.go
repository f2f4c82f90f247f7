package xdsgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime"

	meshconfig "istio.io/api/mesh/v1alpha1"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/test"
)

// Severities of a Message.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Message is one finding, in the order found.
type Message struct {
	Severity string `json:"severity"`
	Object   string `json:"object"`
	Message  string `json:"message"`
}

// Options says which proxy to generate for and where istiod's mesh ConfigMap is.
type Options struct {
	ProxyNamespace string            // namespace of the gateway pod
	ProxyLabels    map[string]string // the gateway pod's labels
	MeshNamespace  string            // istiod's namespace (mesh ConfigMap)
	MeshConfigMap  string            // the mesh ConfigMap's name
	MeshKey        string            // its data key
	// CRDs are further CRDs (YAML) validated like Istio's own: the Gateway API's, which Istio's
	// bundle does not carry. Without them those objects are checked by the webhook only.
	CRDs []byte
}

// DefaultOptions are istiod's and the istio-ingressgateway chart's defaults.
func DefaultOptions() Options {
	return Options{
		ProxyNamespace: "istio-system",
		ProxyLabels:    map[string]string{"istio": "ingressgateway"},
		MeshNamespace:  "istio-system",
		MeshConfigMap:  "istio",
		MeshKey:        "mesh",
	}
}

// Result is what istiod generated for the proxy (protojson, Any expanded) and every message.
type Result struct {
	Listeners []json.RawMessage `json:"listeners"`
	Routes    []json.RawMessage `json:"routes"`
	Clusters  []json.RawMessage `json:"clusters"`
	Messages  []Message         `json:"messages"`
}

// Failed reports whether any message is an error.
func (r *Result) Failed() bool {
	for _, m := range r.Messages {
		if m.Severity == SeverityError {
			return true
		}
	}
	return false
}

// kubeKinds are the core objects istiod's registries read; everything else that is not Istio
// configuration is ignored (Deployments, RBAC, ...). Secrets are the certificates a Gateway
// API listener's certificateRefs name: istiod drops an HTTPS listener whose Secret is missing.
var kubeKinds = map[string]bool{"Service": true, "Namespace": true, "Endpoints": true, "Pod": true, "Secret": true}

var setupOnce sync.Once
var setupErr error

// Run reads the YAML streams, validates, and generates. The error is for unreadable input or a
// broken setup; everything istiod objects to is a Message.
func Run(opts Options, inputs ...io.Reader) (*Result, error) {
	setupOnce.Do(func() {
		if setupErr = configureLog(); setupErr == nil {
			setupErr = setupValidation(opts.CRDs)
		}
	})
	if setupErr != nil {
		return nil, setupErr
	}
	var objs []*object
	for _, in := range inputs {
		o, err := readObjects(in)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	res := &Result{Listeners: []json.RawMessage{}, Routes: []json.RawMessage{}, Clusters: []json.RawMessage{}, Messages: []Message{}}
	in := collect(objs, opts, res)
	takeLog() // dropped: only what generation logs becomes "istiod log" messages
	if err := generate(opts, in, res); err != nil {
		return nil, err
	}
	sortByName(res.Listeners)
	sortByName(res.Routes)
	sortByName(res.Clusters)
	for _, line := range takeLog() {
		res.Messages = append(res.Messages, Message{SeverityWarning, "istiod log", line})
	}
	res.Messages = append(res.Messages, badCustom(res.Listeners)...)
	return res, nil
}

// istiodInput is what the fake discovery server is given.
type istiodInput struct {
	configs []config.Config
	kube    []runtime.Object
	mesh    *meshconfig.MeshConfig
	// gatewayAPI counts the Gateway API objects among kube: istiod converts them in a push of
	// their own, after the server has started (see generate).
	gatewayAPI int
}

// gatewayAPIGroup is the Kubernetes Gateway API's group. istiod's Gateway API controller reads
// only Kubernetes informers: these objects go to the fake server as KubernetesObjects, never
// into its config store, where nothing would convert them.
const gatewayAPIGroup = "gateway.networking.k8s.io"

// collect sorts the objects into istiod's input: the Istio configuration that validates, the mesh
// config, the core objects its registries read. What istiod objects to goes to res.Messages.
func collect(objs []*object, opts Options, res *Result) *istiodInput {
	in := &istiodInput{}
	decode := kubelib.IstioCodec.UniversalDeserializer().Decode
	for _, o := range objs {
		switch {
		case isIstioConfig(o):
			cfg, msgs := validateIstio(o)
			res.Messages = append(res.Messages, msgs...)
			switch {
			case cfg == nil:
			case o.group() == gatewayAPIGroup:
				k, _, err := decode(o.raw, nil, nil)
				if err != nil {
					res.Messages = append(res.Messages, Message{SeverityError, o.ref(), err.Error()})
					continue
				}
				in.kube = append(in.kube, k)
				in.gatewayAPI++
			default:
				in.configs = append(in.configs, *cfg)
			}
		case o.group() == "" && o.Kind == "ConfigMap":
			res.Messages = append(res.Messages, in.addMesh(o, opts)...)
		case o.group() == "" && kubeKinds[o.Kind]:
			k, _, err := decode(o.raw, nil, nil)
			if err != nil {
				res.Messages = append(res.Messages, Message{SeverityError, o.ref(), err.Error()})
				continue
			}
			in.kube = append(in.kube, k)
		}
	}
	if in.mesh == nil {
		res.Messages = append(res.Messages, Message{SeverityWarning, "ConfigMap " + opts.MeshNamespace + "/" + opts.MeshConfigMap,
			"not in the input: istiod's default mesh config applies (no extension providers)"})
	}
	return in
}

// addMesh takes the mesh config from o if o is istiod's mesh ConfigMap (once).
func (in *istiodInput) addMesh(o *object, opts Options) []Message {
	text, ok, err := meshFromConfigMap(o, opts.MeshNamespace, opts.MeshConfigMap, opts.MeshKey)
	switch {
	case !ok:
		return nil
	case in.mesh != nil:
		return []Message{{SeverityError, o.ref(), "appears twice in the input"}}
	case err != nil:
		return []Message{{SeverityError, o.ref(), err.Error()}}
	}
	m, msgs := parseMesh(text, o.ref())
	in.mesh = m
	return msgs
}

// generate runs istiod's generation for the gateway proxy and adds its listeners, routes and
// clusters to res. Generation is done when the resources are marshalled; istiod's shutdown
// afterwards waits for its JWKS refresher to give up on an unreachable issuer (its fetch timeout,
// seconds), so it runs on in the background: the command exits right after writing the output.
func generate(opts Options, in *istiodInput, res *Result) error {
	ready := make(chan struct{})
	finished := make(chan error, 1)
	go func() {
		finished <- test.Wrap(func(t test.Failer) {
			s := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{Configs: in.configs, KubernetesObjects: in.kube, MeshConfig: in.mesh})
			setup := func() *model.Proxy {
				return s.SetupProxy(&model.Proxy{
					Type:            model.Router,
					ID:              "istiod-xds-gateway." + opts.ProxyNamespace,
					ConfigNamespace: opts.ProxyNamespace,
					Labels:          opts.ProxyLabels,
					Metadata:        &model.NodeMetadata{Namespace: opts.ProxyNamespace, Labels: opts.ProxyLabels},
				})
			}
			p := setup()
			listeners := s.Listeners(p)
			routes := s.RoutesFromListeners(p, listeners)
			// Gateway API objects convert one push after the server started (the controller's
			// informers, then a config update): wait for a route with a virtual host of its own,
			// setting the proxy up again each time (its gateways are computed at setup). A proxy
			// no Gateway binds to keeps what it had, after the wait.
			for deadline := time.Now().Add(gatewayAPIWait); in.gatewayAPI > 0 && !routed(routes) && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
				s.EnsureSynced(t)
				p = setup()
				listeners = s.Listeners(p)
				routes = s.RoutesFromListeners(p, listeners)
			}
			clusters := s.Clusters(p)
			for _, l := range listeners {
				res.Listeners = appendJSON(t, res, res.Listeners, l)
			}
			for _, r := range routes {
				res.Routes = appendJSON(t, res, res.Routes, r)
			}
			for _, c := range clusters {
				res.Clusters = appendJSON(t, res, res.Clusters, c)
			}
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-finished:
		if err != nil {
			return fmt.Errorf("istiod config generation: %w", err)
		}
	}
	return nil
}

// gatewayAPIWait bounds the wait for the Gateway API conversion; it takes well under a second.
const gatewayAPIWait = 10 * time.Second

// routed reports whether some route configuration has a virtual host other than the 404
// blackhole istiod writes for a listener with no routes attached.
func routed(routes []*routev3.RouteConfiguration) bool {
	for _, rc := range routes {
		for _, vh := range rc.GetVirtualHosts() {
			if !strings.HasPrefix(vh.GetName(), "blackhole:") && len(vh.GetRoutes()) > 0 {
				return true
			}
		}
	}
	return false
}

// appendJSON marshals with Any expanded (protojson's whitespace is randomised on purpose: compact it;
// its key order is the field order, stable) and runs Envoy's own proto constraints (protoc-gen-validate)
// over the message, which Envoy would apply before accepting it.
func appendJSON(t test.Failer, res *Result, out []json.RawMessage, m interface {
	proto.Message
	ValidateAll() error
}) []json.RawMessage {
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateAll(); err != nil {
		res.Messages = append(res.Messages, Message{SeverityError, "istiod generation", fmt.Sprintf("%T failed Envoy's proto validation: %v", m, err)})
	}
	return append(out, json.RawMessage(buf.Bytes()))
}

func sortByName(items []json.RawMessage) {
	name := func(r json.RawMessage) string {
		var n struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(r, &n)
		return n.Name
	}
	sort.SliceStable(items, func(i, j int) bool { return name(items[i]) < name(items[j]) })
}

var badCustomRule = regexp.MustCompile(`"([^"]*-deny-due-to-bad-CUSTOM-action)"`)

// badCustom turns istiod's silent deny-all (a CUSTOM policy whose provider is missing or invalid)
// into an error: every request it matches would get 403 and there is no ext_authz filter.
func badCustom(listeners []json.RawMessage) []Message {
	seen := map[string]bool{}
	var out []Message
	for _, l := range listeners {
		for _, m := range badCustomRule.FindAllSubmatch(l, -1) {
			name := string(m[1])
			if seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, Message{SeverityError, "istiod generation",
				"RBAC policy " + name + ": istiod replaced a CUSTOM AuthorizationPolicy by deny-all (its provider is not a valid extension provider of the mesh config; see the istiod log message)"})
		}
	}
	return out
}
