// Package bench is `make bench`: it measures meshauth against the real
// alternatives on the same machine in the same run — check-server against a
// null Go server and real oauth2-proxy, authconfig-fn against a no-op KRM
// function and against kustomize with pre-rendered components — and renders
// BENCHMARKS.md with ratios. Every run is bounded: each load point has a
// duration, each program a context deadline.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Config says what to run and for how long.
type Config struct {
	Root   string // repository root
	Bin    string // folder of the built programs (authconfig-fn, check-server, krm-noop, oauth2-proxy, dex, kustomize)
	Corpus string // the Kubeflow package (example-offline.yaml)
	Out    string // BENCHMARKS.md

	// authconfig-fn
	FnCopies      []int       // package copies, e.g. 1, 2, 5, 10
	FnRuns        map[int]int // runs per copies (0 = the default render); missing means 1
	Kustomize     bool
	KustomizeRuns int
	Kpt           bool // kpt fn eval / render rows
	KptRuns       int

	// check-server
	Duration    time.Duration // one load run
	Warmup      time.Duration // discarded run before each point
	Conns       []int
	Rounds      int           // alternations per point
	RSSDuration time.Duration // the long run after which VmRSS is read

	// Go benchmarks
	GoBench     bool
	GoBenchTime string
	GoPackages  []string

	Log  io.Writer
	Args []string // the command line, for the report
}

// Runner runs the benchmarks.
type Runner struct {
	cfg   Config
	start time.Time
	procs []*proc
}

// New returns a runner.
func New(cfg Config) (*Runner, error) {
	for _, p := range []*string{&cfg.Root, &cfg.Bin, &cfg.Corpus, &cfg.Out} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	return &Runner{cfg: cfg, start: time.Now()}, nil
}

func (r *Runner) bin(name string) string { return filepath.Join(r.cfg.Bin, name) }

func (r *Runner) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, "[%6.1fs] %s\n", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
	}
}

// Report is everything BENCHMARKS.md shows.
type Report struct {
	Load *LoadResult
	Fn   *FnResult
}

// Run runs every part and returns the report. Parts with nothing to run
// (zero Duration, no FnCopies) are left out.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	rep := &Report{}
	if r.cfg.Duration > 0 {
		s, err := r.startStack(ctx)
		if err == nil {
			rep.Load, err = r.runLoad(ctx, s)
		}
		r.stopAll()
		if s != nil {
			os.RemoveAll(s.dir)
		}
		if err != nil {
			return nil, fmt.Errorf("check-server benchmarks: %w", err)
		}
	}
	if len(r.cfg.FnCopies) > 0 {
		fn, err := r.runFn(ctx)
		if err != nil {
			return nil, fmt.Errorf("authconfig-fn benchmarks: %w", err)
		}
		rep.Fn = fn
	}
	return rep, nil
}
