// Command istiod-xds runs istiod's own validation and xDS generation over Kubernetes YAML and prints
// the listeners, routes and clusters it generates for one gateway proxy, as JSON (XDS_CONTRACT.md).
//
//	istiod-xds [flags] FILE...   (FILE = YAML stream; "-" = stdin; -crds FILE adds CRDs, e.g. the Gateway API's)
//
// Exit status: 0 generated with no error message; 1 at least one error message (the JSON is still
// written); 2 usage or I/O problem.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"meshauth.dev/meshauth/e2e/istiod/xdsgen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, files, outPath, ok := parseArgs(args, stderr)
	if !ok {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "istiod-xds:", err)
		return 2
	}
	stop, err := keepOnLoopback()
	if err != nil {
		return fail(err)
	}
	defer stop()
	inputs, closeInputs, err := openInputs(files, stdin)
	defer closeInputs()
	if err != nil {
		return fail(err)
	}
	res, err := xdsgen.Run(opts, inputs...)
	if err != nil {
		return fail(err)
	}
	if err := writeOutput(res, outPath, stdout); err != nil {
		return fail(err)
	}
	for _, m := range res.Messages {
		fmt.Fprintf(stderr, "%s: %s: %s\n", m.Severity, m.Object, m.Message)
	}
	if res.Failed() {
		return 1
	}
	return 0
}

// parseArgs reads the flags into the options; ok is false (the problem told on stderr) for a
// usage problem.
func parseArgs(args []string, stderr io.Writer) (opts xdsgen.Options, files []string, outPath string, ok bool) {
	def := xdsgen.DefaultOptions()
	fs := flag.NewFlagSet("istiod-xds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ns := fs.String("proxy-namespace", def.ProxyNamespace, "namespace of the gateway pod")
	labels := fs.String("proxy-labels", "istio=ingressgateway", "the gateway pod's labels, k=v,k=v")
	meshRef := fs.String("mesh-configmap", def.MeshNamespace+"/"+def.MeshConfigMap, "istiod's mesh ConfigMap, NAMESPACE/NAME")
	meshKey := fs.String("mesh-key", def.MeshKey, "the mesh ConfigMap's data key")
	out := fs.String("o", "", "output file (default stdout)")
	var crds []byte
	fs.Func("crds", "a file of further CRDs to validate against, e.g. the Gateway API's (repeatable)", func(file string) error {
		b, err := os.ReadFile(file)
		if err == nil {
			crds = append(append(crds, b...), "\n---\n"...)
		}
		return err
	})
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: istiod-xds [flags] FILE...   (FILE = YAML stream, - = stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, nil, "", false
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return opts, nil, "", false
	}
	opts = def
	opts.ProxyNamespace = *ns
	var err error
	if opts.ProxyLabels, err = parseLabels(*labels); err != nil {
		fmt.Fprintln(stderr, "istiod-xds: -proxy-labels:", err)
		return opts, nil, "", false
	}
	ref := strings.SplitN(*meshRef, "/", 2)
	if len(ref) != 2 || ref[0] == "" || ref[1] == "" {
		fmt.Fprintln(stderr, "istiod-xds: -mesh-configmap: want NAMESPACE/NAME, got", *meshRef)
		return opts, nil, "", false
	}
	opts.MeshNamespace, opts.MeshConfigMap, opts.MeshKey = ref[0], ref[1], *meshKey
	opts.CRDs = crds
	return opts, fs.Args(), *out, true
}

// openInputs opens the files ("-" is stdin); closeAll closes the ones opened, also after an error.
func openInputs(names []string, stdin io.Reader) (inputs []io.Reader, closeAll func(), err error) {
	var files []*os.File
	closeAll = func() {
		for i := len(files) - 1; i >= 0; i-- {
			files[i].Close()
		}
	}
	for _, name := range names {
		if name == "-" {
			inputs = append(inputs, stdin)
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, closeAll, err
		}
		files = append(files, f)
		inputs = append(inputs, f)
	}
	return inputs, closeAll, nil
}

// writeOutput writes the result's JSON to outPath, or to stdout without one.
// A failed write, flush or close is the error: a cut file must not pass.
func writeOutput(res *xdsgen.Result, outPath string, stdout io.Writer) error {
	if outPath == "" {
		return writeJSON(res, stdout)
	}
	f, err := os.Create(outPath)
	if err != nil {
		return err
	}
	return errors.Join(writeJSON(res, f), f.Close())
}

func writeJSON(res *xdsgen.Result, out io.Writer) error {
	w := bufio.NewWriter(out)
	if err := errors.Join(xdsgen.WriteJSON(w, res), w.Flush()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// refuse answers one proxy request with 502, so istiod's fetch fails the same way every run
// (a closed connection reads as EOF or reset, with the ports in the message).
func refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := http.ReadRequest(bufio.NewReader(io.LimitReader(c, 64<<10))); err != nil {
		return
	}
	_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
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
			go refuse(c)
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
