package checkserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"meshauth.dev/meshauth/checkserver/config"
)

// Server runs the HTTP and gRPC front ends and the ops endpoints.
type Server struct {
	cfg      config.Config
	Checker  *Checker
	metrics  *Metrics
	log      *slog.Logger
	draining atomic.Bool

	// Bound addresses, known once Listen returned.
	HTTPAddr, GRPCAddr, OpsAddr net.Addr
	httpLis, grpcLis, opsLis    net.Listener
}

// NewServer builds a server from a validated config.
func NewServer(cfg config.Config, log *slog.Logger) (*Server, error) {
	m := NewMetrics()
	c, err := NewChecker(cfg, m, log)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: c.cfg, Checker: c, metrics: m, log: log}, nil
}

// Listen binds every configured address, so a port clash fails at start.
func (s *Server) Listen() error {
	bind := func(addr string) (net.Listener, net.Addr, error) {
		if addr == "" {
			return nil, nil, nil
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		return l, l.Addr(), nil
	}
	var err error
	if s.httpLis, s.HTTPAddr, err = bind(s.cfg.Listen.HTTP); err != nil {
		return err
	}
	if s.grpcLis, s.GRPCAddr, err = bind(s.cfg.Listen.GRPC); err != nil {
		return err
	}
	s.opsLis, s.OpsAddr, err = bind(s.cfg.Listen.Ops)
	return err
}

// Ready reports readiness: keys for required issuers loaded, not draining.
func (s *Server) Ready() bool { return !s.draining.Load() && s.Checker.Ready() }

// OpsHandler serves /healthz, /readyz and /metrics.
func (s *Server) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.Ready() {
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

// Run serves until ctx ends, then shuts down gracefully: readiness drops
// first, listeners close, and in-flight checks finish within
// shutdownTimeout before connections are cut.
func (s *Server) Run(ctx context.Context) error {
	if s.opsLis == nil && s.httpLis == nil && s.grpcLis == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	s.Checker.Run(bg)

	var servers []*http.Server
	newHTTP := func(h http.Handler) *http.Server {
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			MaxHeaderBytes: 1 << 20, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
		servers = append(servers, hs)
		return hs
	}
	g, gctx := errgroup.WithContext(ctx)
	serve := func(hs *http.Server, l net.Listener) {
		g.Go(func() error {
			if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	if s.httpLis != nil {
		serve(newHTTP(&HTTPHandler{Checker: s.Checker, PathPrefix: s.cfg.HTTPPathPrefix}), s.httpLis)
	}
	if s.opsLis != nil {
		serve(newHTTP(s.OpsHandler()), s.opsLis)
	}
	var gs *grpc.Server
	if s.grpcLis != nil {
		gs = NewGRPCServer(s.Checker)
		g.Go(func() error { return gs.Serve(s.grpcLis) })
	}
	s.log.Info("check-server started", "http", addrString(s.HTTPAddr), "grpc", addrString(s.GRPCAddr), "ops", addrString(s.OpsAddr))

	g.Go(func() error {
		<-gctx.Done()
		s.draining.Store(true)
		s.log.Info("shutting down: finishing in-flight checks", "timeout", s.cfg.ShutdownTimeout.String())
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout.Duration)
		defer cancel()
		done := make(chan struct{})
		go func() {
			if gs != nil {
				gs.GracefulStop()
			}
			close(done)
		}()
		var errs []error
		for _, hs := range servers {
			if err := hs.Shutdown(sctx); err != nil {
				errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			}
		}
		select {
		case <-done:
		case <-sctx.Done():
			gs.Stop()
			errs = append(errs, errors.New("grpc: in-flight checks cut at shutdown timeout"))
		}
		return errors.Join(errs...)
	})
	return g.Wait()
}

// NewGRPCServer is the gRPC server check-server runs, with the
// Authorization service registered.
func NewGRPCServer(c *Checker) *grpc.Server {
	gs := grpc.NewServer(
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// A check is a short unary call: a fixed pool of stream workers
		// saves a goroutine (and its stack growth) per call.
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		grpc.SharedWriteBuffer(true),
	)
	authv3.RegisterAuthorizationServer(gs, &GRPCServer{Checker: c})
	return gs
}

func addrString(a net.Addr) string {
	if a == nil {
		return "off"
	}
	return a.String()
}
