package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"meshauth.dev/meshauth/internal/loadgen"
)

// Target is one thing put under load.
type Target struct {
	Key    string // stable id, used by the targets
	Label  string
	Proto  string // http or grpc
	URL    string // HTTP
	Addr   string // gRPC
	Path   string // gRPC original path
	Header [][2]string
	Expect int
	server *proc // the process under test, whose CPU time is read around each run
}

// LoadPoint is a target at one connection count over the alternated runs.
type LoadPoint struct {
	Target Target
	Conns  int
	Runs   []loadgen.Result
	CPU    []time.Duration // the server's user+system CPU over each run
}

// CPUPerReq is the server's CPU time per request in µs over all runs: the
// cost of the process under test alone, free of the load generator's share
// of the cores.
func (p LoadPoint) CPUPerReq() float64 {
	var cpu time.Duration
	n := 0
	for i, r := range p.Runs {
		if i < len(p.CPU) {
			cpu += p.CPU[i]
			n += r.Requests
		}
	}
	if n == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / float64(n)
}

// RPS is the mean req/s over the runs.
func (p LoadPoint) RPS() float64 {
	if len(p.Runs) == 0 {
		return 0
	}
	var s float64
	for _, r := range p.Runs {
		s += r.RPS
	}
	return s / float64(len(p.Runs))
}

func (p LoadPoint) medianOf(f func(loadgen.Result) float64) float64 {
	v := make([]float64, len(p.Runs))
	for i, r := range p.Runs {
		v[i] = f(r)
	}
	return median(v)
}

// P50 and P99 are the medians over the runs, in ms.
func (p LoadPoint) P50() float64 {
	return p.medianOf(func(r loadgen.Result) float64 { return r.P50ms })
}
func (p LoadPoint) P99() float64 {
	return p.medianOf(func(r loadgen.Result) float64 { return r.P99ms })
}

// Errors counts failed requests and unexpected statuses over the runs.
func (p LoadPoint) Errors() int {
	n := 0
	for _, r := range p.Runs {
		n += r.Errors
	}
	return n
}

// RSSResult is the check-server's memory after the long run.
type RSSResult struct {
	Duration  time.Duration
	Target    string
	Conns     int
	RPS       float64
	Errors    int
	RSSMiB    float64
	HWMMiB    float64
	StartMiB  float64 // VmRSS before the load
	O2PRSSMiB float64 // oauth2-proxy's VmRSS at the end, for scale
}

// LoadResult is the check-server half of the report.
type LoadResult struct {
	Duration time.Duration
	Rounds   int
	Conns    []int
	Targets  []Target
	Points   map[string]*LoadPoint // key: target key + "/" + conns
	RSS      *RSSResult
}

// Point returns the point for a target and connection count.
func (l *LoadResult) Point(key string, conns int) *LoadPoint {
	return l.Points[key+"/"+strconv.Itoa(conns)]
}

func (s *stack) targets() []Target {
	bearer := [2]string{"Authorization", "Bearer " + s.idToken}
	cookie := [2]string{"Cookie", s.cookie}
	const api = "/api/v1/namespaces"
	csURL := func(addr string) string { return "http://" + addr + s.httpPathPrefix + api }
	// The floor gets the cached allow's request, bearer JWT included: the
	// same bytes to read, none of the work.
	return []Target{
		{Key: "null", Label: "null Go net/http server (floor)", Proto: "http", URL: "http://" + s.nullAddr + api, Header: [][2]string{bearer}, Expect: 200, server: s.null},
		{Key: "cs-cached-http", Label: "check-server cached-token allow", Proto: "http", URL: csURL(s.cs.http), Header: [][2]string{bearer}, Expect: 200, server: s.cs.proc},
		{Key: "cs-cached-grpc", Label: "check-server cached-token allow", Proto: "grpc", Addr: s.cs.grpc, Path: api, Header: [][2]string{bearer}, Expect: 200, server: s.cs.proc},
		{Key: "cs-uncached-http", Label: "check-server uncached RS256 allow (cache off)", Proto: "http", URL: csURL(s.csNoCache.http), Header: [][2]string{bearer}, Expect: 200, server: s.csNoCache.proc},
		{Key: "cs-uncached-grpc", Label: "check-server uncached RS256 allow (cache off)", Proto: "grpc", Addr: s.csNoCache.grpc, Path: api, Header: [][2]string{bearer}, Expect: 200, server: s.csNoCache.proc},
		{Key: "cs-deny-http", Label: "check-server deny (no credentials, API route → 401)", Proto: "http", URL: csURL(s.cs.http), Expect: 401, server: s.cs.proc},
		{Key: "cs-deny-grpc", Label: "check-server deny (no credentials, API route → 401)", Proto: "grpc", Addr: s.cs.grpc, Path: api, Expect: 401, server: s.cs.proc},
		{Key: "cs-cookie-http", Label: "check-server cookie, session cache (real oauth2-proxy asked once per TTL)", Proto: "http", URL: csURL(s.cs.http), Header: [][2]string{cookie}, Expect: 200, server: s.cs.proc},
		{Key: "cs-cookie-grpc", Label: "check-server cookie, session cache (real oauth2-proxy asked once per TTL)", Proto: "grpc", Addr: s.cs.grpc, Path: api, Header: [][2]string{cookie}, Expect: 200, server: s.cs.proc},
		{Key: "cs-cookie-rt-http", Label: "check-server cookie → real oauth2-proxy every check (caches off)", Proto: "http", URL: csURL(s.csNoCache.http), Header: [][2]string{cookie}, Expect: 200, server: s.csNoCache.proc},
		{Key: "cs-cookie-rt-grpc", Label: "check-server cookie → real oauth2-proxy every check (caches off)", Proto: "grpc", Addr: s.csNoCache.grpc, Path: api, Header: [][2]string{cookie}, Expect: 200, server: s.csNoCache.proc},
		{Key: "o2p-cookie", Label: "oauth2-proxy /oauth2/auth, cookie", Proto: "http", URL: "http://" + s.o2pAddr + "/oauth2/auth", Header: [][2]string{cookie}, Expect: 202, server: s.o2p},
		{Key: "o2p-bearer", Label: "oauth2-proxy /oauth2/auth, bearer JWT (RS256)", Proto: "http", URL: "http://" + s.o2pAddr + "/oauth2/auth", Header: [][2]string{bearer}, Expect: 202, server: s.o2p},
	}
}

// loadOnce runs bin/loadgen against t (a separate process, so the
// orchestrator's heap stays out of the measurement).
func (r *Runner) loadOnce(ctx context.Context, t Target, conns int, d time.Duration) (loadgen.Result, error) {
	args := []string{"-c", strconv.Itoa(conns), "-d", d.String(), "-expect", strconv.Itoa(t.Expect), "-timeout", "5s"}
	if t.Proto == "grpc" {
		args = append(args, "-grpc", t.Addr, "-path", t.Path)
	} else {
		args = append(args, "-url", t.URL)
	}
	for _, h := range t.Header {
		args = append(args, "-H", h[0]+": "+h[1])
	}
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin("loadgen"), args...)
	out, err := cmd.Output()
	var res loadgen.Result
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		if err == nil {
			err = jerr
		}
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		return res, fmt.Errorf("loadgen %s c=%d: %v %s", t.Key, conns, err, stderr)
	}
	// Exit 1 means errors were counted; they are reported, not fatal.
	return res, nil
}

// runLoad puts every target under load at every connection count, in
// rounds: each round visits every target once (order reversed on odd
// rounds), so drift on the shared machine hits every target alike.
func (r *Runner) runLoad(ctx context.Context, s *stack) (*LoadResult, error) {
	lr := &LoadResult{Duration: r.cfg.Duration, Rounds: r.cfg.Rounds, Conns: r.cfg.Conns, Targets: s.targets(), Points: map[string]*LoadPoint{}}
	for _, c := range r.cfg.Conns {
		for _, t := range lr.Targets {
			lr.Points[t.Key+"/"+strconv.Itoa(c)] = &LoadPoint{Target: t, Conns: c}
		}
	}
	// Warm-up (and correctness check): every target must answer as expected.
	for _, t := range lr.Targets {
		res, err := r.loadOnce(ctx, t, 4, r.cfg.Warmup)
		if err != nil {
			return nil, err
		}
		if res.Errors > 0 || res.Requests == 0 {
			return nil, fmt.Errorf("warm-up of %s (%s): %d of %d requests failed or were not %d: %v %s", t.Key, t.Label, res.Errors, res.Requests, t.Expect, res.Status, res.FirstError)
		}
	}
	r.logf("load: warm-up done; every target answers as expected")
	for round := 0; round < r.cfg.Rounds; round++ {
		for _, c := range r.cfg.Conns {
			order := slices.Clone(lr.Targets)
			if round%2 == 1 {
				slices.Reverse(order)
			}
			for _, t := range order {
				cpu0, cpuErr := t.server.CPUTime()
				res, err := r.loadOnce(ctx, t, c, r.cfg.Duration)
				if err != nil {
					return nil, err
				}
				cpu1, cpuErr1 := t.server.CPUTime()
				p := lr.Points[t.Key+"/"+strconv.Itoa(c)]
				p.Runs = append(p.Runs, res)
				if cpuErr == nil && cpuErr1 == nil {
					p.CPU = append(p.CPU, cpu1-cpu0)
				}
				r.logf("load: round %d c=%d %-17s %s %8.0f req/s p50 %.2f ms p99 %.2f ms errors %d server CPU %.1f µs/req",
					round+1, c, t.Key, t.Proto, res.RPS, res.P50ms, res.P99ms, res.Errors, float64((cpu1-cpu0).Microseconds())/float64(max(res.Requests, 1)))
			}
		}
	}
	if r.cfg.RSSDuration > 0 {
		t := lr.Targets[1] // cached allow over HTTP
		c := slices.Max(r.cfg.Conns)
		pid := s.cs.proc.Cmd.Process.Pid
		startRSS, _, _ := vmRSS(pid)
		res, err := r.loadOnce(ctx, t, c, r.cfg.RSSDuration)
		if err != nil {
			return nil, err
		}
		rss, hwm, err := vmRSS(pid)
		if err != nil {
			return nil, err
		}
		o2p, _, _ := vmRSS(s.o2p.Cmd.Process.Pid)
		lr.RSS = &RSSResult{Duration: r.cfg.RSSDuration, Target: t.Label + " (" + t.Proto + ")", Conns: c, RPS: res.RPS, Errors: res.Errors,
			RSSMiB: float64(rss) / 1024, HWMMiB: float64(hwm) / 1024, StartMiB: float64(startRSS) / 1024, O2PRSSMiB: float64(o2p) / 1024}
		r.logf("load: %s run: %.0f req/s, check-server VmRSS %.1f MiB (peak %.1f, %.1f before)", r.cfg.RSSDuration, res.RPS, lr.RSS.RSSMiB, lr.RSS.HWMMiB, lr.RSS.StartMiB)
	}
	return lr, nil
}
