package loopback

import (
	"fmt"
	"net"

	"sigs.k8s.io/yaml"
)

// CheckServerListen are check-server's loopback addresses; GRPC ""
// turns its gRPC listener off.
type CheckServerListen struct{ HTTP, GRPC, Ops string }

// CheckServer is check-server's config as the stack runs it.
type CheckServer struct {
	Config map[string]any // the emitted config.yaml with the overrides
	// The ports the emitted config listened on: the container ports its
	// Service must target.
	HTTPPort, GRPCPort string
	Ready              string // URL answering 200 once it serves
}

// NewCheckServer applies the loopback overrides to the emitted
// check-server config.yaml: the listen addresses, oauth2Proxy.url through
// reg (cluster DNS), TokenReview off (no Kubernetes API here).
func NewCheckServer(emitted string, l CheckServerListen, reg Registry) (CheckServer, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(emitted), &cfg); err != nil {
		return CheckServer{}, fmt.Errorf("the emitted check-server config.yaml: %w", err)
	}
	listen, _ := cfg["listen"].(map[string]any)
	if listen == nil {
		return CheckServer{}, fmt.Errorf("the emitted check-server config has no listen addresses")
	}
	c := CheckServer{Config: cfg, Ready: "http://" + l.Ops + "/readyz"}
	httpAddr, _ := listen["http"].(string)
	grpcAddr, _ := listen["grpc"].(string)
	_, c.HTTPPort, _ = net.SplitHostPort(httpAddr)
	_, c.GRPCPort, _ = net.SplitHostPort(grpcAddr)
	listen["http"], listen["ops"], listen["grpc"] = l.HTTP, l.Ops, l.GRPC
	if o, ok := cfg["oauth2Proxy"].(map[string]any); ok {
		if u, _ := o["url"].(string); u != "" {
			resolved, err := reg.resolve(u)
			if err != nil {
				return CheckServer{}, fmt.Errorf("check-server oauth2Proxy.url: %w", err)
			}
			o["url"] = resolved
		}
	}
	if tr, ok := Nested(cfg, "kubernetes", "tokenReview").(map[string]any); ok {
		tr["enabled"] = false
	}
	return c, nil
}
