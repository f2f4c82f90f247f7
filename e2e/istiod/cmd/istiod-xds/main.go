// Command istiod-xds runs istiod's own validation and xDS generation over Kubernetes YAML and prints
// the listeners, routes and clusters it generates for one gateway proxy, as JSON (XDS_CONTRACT.md).
//
//	istiod-xds [flags] FILE...   (FILE = YAML stream; "-" = stdin)
//
// Exit status: 0 generated with no error message; 1 at least one error message (the JSON is still
// written); 2 usage or I/O problem.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"meshauth.dev/meshauth/e2e/istiod/xdsgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	def := xdsgen.DefaultOptions()
	fs := flag.NewFlagSet("istiod-xds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ns := fs.String("proxy-namespace", def.ProxyNamespace, "namespace of the gateway pod")
	labels := fs.String("proxy-labels", "istio=ingressgateway", "the gateway pod's labels, k=v,k=v")
	meshRef := fs.String("mesh-configmap", def.MeshNamespace+"/"+def.MeshConfigMap, "istiod's mesh ConfigMap, NAMESPACE/NAME")
	meshKey := fs.String("mesh-key", def.MeshKey, "the mesh ConfigMap's data key")
	outPath := fs.String("o", "", "output file (default stdout)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: istiod-xds [flags] FILE...   (FILE = YAML stream, - = stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	opts := def
	opts.ProxyNamespace = *ns
	var err error
	if opts.ProxyLabels, err = parseLabels(*labels); err != nil {
		fmt.Fprintln(stderr, "istiod-xds: -proxy-labels:", err)
		return 2
	}
	ref := strings.SplitN(*meshRef, "/", 2)
	if len(ref) != 2 || ref[0] == "" || ref[1] == "" {
		fmt.Fprintln(stderr, "istiod-xds: -mesh-configmap: want NAMESPACE/NAME, got", *meshRef)
		return 2
	}
	opts.MeshNamespace, opts.MeshConfigMap, opts.MeshKey = ref[0], ref[1], *meshKey

	stop, err := keepOnLoopback()
	if err != nil {
		fmt.Fprintln(stderr, "istiod-xds:", err)
		return 2
	}
	defer stop()

	var inputs []io.Reader
	for _, name := range fs.Args() {
		if name == "-" {
			inputs = append(inputs, stdin)
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, "istiod-xds:", err)
			return 2
		}
		defer f.Close()
		inputs = append(inputs, f)
	}
	res, err := xdsgen.Run(opts, inputs...)
	if err != nil {
		fmt.Fprintln(stderr, "istiod-xds:", err)
		return 2
	}
	out := stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			fmt.Fprintln(stderr, "istiod-xds:", err)
			return 2
		}
		defer f.Close()
		out = f
	}
	w := bufio.NewWriter(out)
	if err := xdsgen.WriteJSON(w, res); err != nil || w.Flush() != nil {
		fmt.Fprintln(stderr, "istiod-xds: write:", err)
		return 2
	}
	for _, m := range res.Messages {
		fmt.Fprintf(stderr, "%s: %s: %s\n", m.Severity, m.Object, m.Message)
	}
	if res.Failed() {
		return 1
	}
	return 0
}

func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not k=v", kv)
		}
		out[k] = v
	}
	return out, nil
}

// keepOnLoopback makes istiod's JWKS fetches for non-loopback issuers fail instead of leaving the
// machine: unless the caller set a proxy, HTTP(S)_PROXY point at a local port that closes every
// connection (istiod then inlines a key nobody can sign with, failing closed). Go never proxies
// loopback addresses, so a local test issuer is still fetched for real.
func keepOnLoopback() (stop func(), err error) {
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		if os.Getenv(k) != "" {
			return func() {}, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loopback proxy sink: %w", err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	proxy := "http://" + l.Addr().String()
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY"} {
		os.Setenv(k, proxy)
	}
	for _, k := range []string{"NO_PROXY", "no_proxy"} {
		os.Unsetenv(k)
	}
	return func() { l.Close() }, nil
}
