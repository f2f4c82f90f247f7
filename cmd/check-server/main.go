// Command check-server is the meshauth Envoy ext_authz service. It reads one
// YAML config (--config), serves ext_authz over HTTP and gRPC, exposes
// /healthz, /readyz and /metrics, and shuts down gracefully on SIGTERM.
// It needs no writable filesystem and runs as any non-root user.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"meshauth.dev/meshauth/checkserver"
	"meshauth.dev/meshauth/checkserver/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "path to the check-server YAML config (required)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	validate := fs.Bool("validate", false, "validate the config and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cfgPath == "" {
		fmt.Fprintln(stderr, "check-server: --config is required")
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "check-server: bad --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *validate {
		fmt.Fprintln(stderr, "config OK")
		return 0
	}
	s, err := checkserver.NewServer(cfg, log)
	if err != nil {
		log.Error("building server", "err", err)
		return 1
	}
	if err := s.Listen(); err != nil {
		log.Error("listening", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := s.Run(ctx); err != nil {
		log.Error("server stopped with error", "err", err)
		return 1
	}
	log.Info("check-server stopped")
	return 0
}
