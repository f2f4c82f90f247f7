package loopback

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
)

// OAuth2Proxy is oauth2-proxy as the stack runs it: the emitted
// oauth2_proxy.cfg byte for byte and the emitted Deployment's args and env.
type OAuth2Proxy struct {
	Config     string   // path of the written oauth2_proxy.cfg
	Args, Env  []string // Env with the Secrets resolved
	ListenPort string   // the port of the emitted http_address: the container port its Service must target
	Ready      string   // URL answering 200 once it serves
}

// NewOAuth2Proxy writes cfg to dir and returns how oauth2-proxy runs on
// addr: the container's args with --config= at the copy, then
// --http-address=addr and --metrics-address on a free port (the flags
// override the file's cluster addresses; nothing else differs), then a flag
// for each option naming a file of a mounted Secret (SecretFiles).
func NewOAuth2Proxy(dir, cfg string, w Workload, secrets Secrets, addr string) (OAuth2Proxy, error) {
	var listen struct {
		HTTPAddress string `toml:"http_address"`
	}
	if _, err := toml.Decode(cfg, &listen); err != nil {
		return OAuth2Proxy{}, fmt.Errorf("the emitted oauth2_proxy.cfg is not TOML: %w", err)
	}
	_, port, _ := net.SplitHostPort(listen.HTTPAddress)
	o := OAuth2Proxy{Config: filepath.Join(dir, "oauth2_proxy.cfg"), ListenPort: port, Ready: "http://" + addr + "/ping"}
	if err := os.WriteFile(o.Config, []byte(cfg), 0o600); err != nil {
		return OAuth2Proxy{}, err
	}
	metrics, err := FreeAddr()
	if err != nil {
		return OAuth2Proxy{}, err
	}
	if o.Args, err = w.ArgsWithConfig(o.Config); err != nil {
		return OAuth2Proxy{}, err
	}
	o.Args = append(o.Args, "--http-address="+addr, "--metrics-address="+metrics)
	mounts, err := w.SecretFiles(filepath.Join(dir, "secrets"), secrets)
	if err != nil {
		return OAuth2Proxy{}, err
	}
	files, err := mountedFlags(cfg, mounts)
	if err != nil {
		return OAuth2Proxy{}, err
	}
	o.Args = append(o.Args, files...)
	if o.Env, err = w.Env(secrets); err != nil {
		return OAuth2Proxy{}, err
	}
	return o, nil
}
