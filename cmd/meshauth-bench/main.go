// Command meshauth-bench runs meshauth's side-by-side benchmarks and writes
// BENCHMARKS.md (`make bench`; see docs/benchmarks.md). With -null-server it
// is instead the floor of the check-server rows: a plain net/http server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"meshauth.dev/meshauth/internal/bench"
)

func main() {
	var cfg bench.Config
	null := flag.String("null-server", "", "serve the null HTTP server on this address and do nothing else")
	flag.StringVar(&cfg.Root, "root", ".", "repository root")
	flag.StringVar(&cfg.Bin, "bin", "bin", "folder of the built programs")
	flag.StringVar(&cfg.Corpus, "corpus", "../shared/corpus/kubeflow-manifests/example-offline.yaml", "the Kubeflow package")
	flag.StringVar(&cfg.Out, "o", "BENCHMARKS.md", "report to write")
	copies := flag.String("fn-copies", "1,2,5,10", "package copies for the authconfig-fn rows (empty: skip)")
	runs := flag.String("fn-runs", "0:5,1:3,2:3,5:2,10:1", "runs per copies (0 = default render)")
	flag.BoolVar(&cfg.Kustomize, "kustomize", true, "kustomize build rows")
	flag.IntVar(&cfg.KustomizeRuns, "kustomize-runs", 2, "kustomize builds per side")
	flag.BoolVar(&cfg.Kpt, "kpt", true, "kpt fn eval / render rows")
	flag.IntVar(&cfg.KptRuns, "kpt-runs", 2, "kpt runs per side")
	flag.DurationVar(&cfg.Duration, "d", 2*time.Second, "one load run (0: skip the check-server rows)")
	flag.DurationVar(&cfg.Warmup, "warmup", 500*time.Millisecond, "warm-up run per target")
	conns := flag.String("c", "1,32", "connection counts")
	flag.IntVar(&cfg.Rounds, "rounds", 2, "alternated runs per point")
	flag.DurationVar(&cfg.RSSDuration, "rss-d", 60*time.Second, "the long run after which check-server's VmRSS is read (0: skip)")
	flag.BoolVar(&cfg.GoBench, "go-bench", true, "run the Go hot-path benchmarks")
	flag.StringVar(&cfg.GoBenchTime, "benchtime", "300ms", "go test -benchtime")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	flag.Parse()
	if *null != "" {
		if err := bench.ServeNull(*null); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var err error
	if cfg.FnCopies, err = ints(*copies); err == nil {
		cfg.Conns, err = ints(*conns)
	}
	if err == nil {
		cfg.FnRuns, err = intMap(*runs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshauth-bench:", err)
		os.Exit(2)
	}
	// Measured programs start from bin/bench-spawn (make build), so their
	// peak RSS is their own and not this process's.
	if sp, err := filepath.Abs(filepath.Join(cfg.Bin, "bench-spawn")); err == nil && fileExists(sp) {
		bench.Spawner = sp
	} else {
		fmt.Fprintln(os.Stderr, "meshauth-bench: no bin/bench-spawn (make build): peak RSS readings include this process's own")
	}
	cfg.Log = os.Stderr
	cfg.Args = os.Args[1:]
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	r, err := bench.New(cfg)
	if err == nil {
		err = r.Main(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshauth-bench:", err)
		os.Exit(1)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a list of integers", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func intMap(s string) (map[int]int, error) {
	m := map[int]int{}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), ":")
		if !ok {
			return nil, fmt.Errorf("%q is not a list of copies:runs", s)
		}
		a, err1 := strconv.Atoi(k)
		b, err2 := strconv.Atoi(v)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q is not a list of copies:runs", s)
		}
		m[a] = b
	}
	return m, nil
}
