// Command loadgen drives an HTTP URL or an ext_authz gRPC address with N
// connections for a fixed time and prints req/s, p50, p90, p99 and errors as
// one JSON line.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"meshauth.dev/meshauth/internal/loadgen"
)

type headerFlags [][2]string

func (h *headerFlags) String() string { return fmt.Sprint(*h) }
func (h *headerFlags) Set(s string) error {
	kv, err := loadgen.ParseHeader(s)
	if err != nil {
		return err
	}
	*h = append(*h, kv)
	return nil
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadgen.Options
	var headers headerFlags
	fs.StringVar(&o.URL, "url", "", "HTTP target URL")
	fs.StringVar(&o.GRPCAddr, "grpc", "", "ext_authz gRPC address host:port")
	fs.StringVar(&o.Method, "method", "GET", "request method")
	fs.StringVar(&o.Path, "path", "/", "original path sent in gRPC CheckRequests")
	fs.IntVar(&o.Connections, "c", 1, "connections (one worker each)")
	fs.DurationVar(&o.Duration, "d", 10*time.Second, "duration (at most 10m)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.IntVar(&o.Expect, "expect", 0, "count any other status as an error")
	fs.Var(&headers, "H", `header "Name: value" (repeatable)`)
	issuerAddr := fs.String("serve-issuer", "", "instead of load: serve a benchmark JWKS on this address, print {issuer, jwksURI, token} and run for -d")
	aud := fs.String("aud", "bench", "audience of the token printed by -serve-issuer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Duration > 10*time.Minute {
		fmt.Fprintln(stderr, "loadgen: -d is capped at 10m")
		return 2
	}
	o.Headers = headers
	if *issuerAddr != "" {
		return serveIssuer(*issuerAddr, *aud, o.Duration, stdout, stderr)
	}
	res, err := loadgen.Run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	_ = json.NewEncoder(stdout).Encode(res)
	if res.Errors > 0 {
		return 1
	}
	return 0
}

// serveIssuer runs a benchmark issuer for d and prints how to trust it.
func serveIssuer(addr, aud string, d time.Duration, stdout, stderr io.Writer) int {
	is, tok, err := loadgen.StartBenchIssuer(addr, aud)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	defer is.Close()
	_ = json.NewEncoder(stdout).Encode(map[string]string{"issuer": is.URL, "jwksURI": is.JWKSURI, "token": tok})
	time.Sleep(d) // the issuer's lifetime is the point of this mode, not synchronisation
	return 0
}
