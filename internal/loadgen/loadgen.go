// Package loadgen is a small closed-loop load generator for HTTP endpoints
// and the Envoy ext_authz gRPC Check API: N workers, each on its own
// connection, send requests back to back for a fixed duration and record
// every latency.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
)

// Options describe one run.
type Options struct {
	// URL is the HTTP target; GRPCAddr the gRPC one. Exactly one is set.
	URL      string
	GRPCAddr string
	// Method and Path are the original request (for gRPC, Path goes into
	// attributes.request.http.path; for HTTP, Method is the request method).
	Method string
	Path   string
	// Headers are sent on every request.
	Headers     [][2]string
	Connections int
	Duration    time.Duration
	// Timeout bounds each request.
	Timeout time.Duration
	// Expect, when non-zero, counts any other status as an error.
	Expect int
}

// Result is printed as one JSON line.
type Result struct {
	Target      string         `json:"target"`
	Protocol    string         `json:"protocol"`
	Connections int            `json:"connections"`
	DurationS   float64        `json:"durationSeconds"`
	Requests    int            `json:"requests"`
	Errors      int            `json:"errors"`
	RPS         float64        `json:"rps"`
	P50ms       float64        `json:"p50ms"`
	P90ms       float64        `json:"p90ms"`
	P99ms       float64        `json:"p99ms"`
	MaxMs       float64        `json:"maxMs"`
	Status      map[string]int `json:"status"`
	FirstError  string         `json:"firstError,omitempty"`
}

// ParseHeader parses "Name: value".
func ParseHeader(s string) ([2]string, error) {
	k, v, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return [2]string{}, fmt.Errorf("header %q is not \"Name: value\"", s)
	}
	return [2]string{strings.TrimSpace(k), strings.TrimSpace(v)}, nil
}

type sample struct {
	lat    time.Duration
	status int
	err    error
}

// doer sends one request and returns the status seen.
type doer func(ctx context.Context) (int, error)

// Run executes the load and returns the result; it ends within
// Duration + Timeout.
func Run(ctx context.Context, o Options) (Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Result{}, err
	}
	res := Result{Target: o.URL, Protocol: "http", Connections: o.Connections, Status: map[string]int{}}
	if o.GRPCAddr != "" {
		res.Target, res.Protocol = o.GRPCAddr, "grpc"
	}
	workers, closeAll, err := newWorkers(o)
	defer closeAll()
	if err != nil {
		return Result{}, err
	}
	all, elapsed := drive(ctx, workers, o.Duration, o.Timeout)
	res.tally(all, elapsed, o.Expect)
	return res, nil
}

// withDefaults checks the options and fills in the ones left zero.
func (o Options) withDefaults() (Options, error) {
	if (o.URL == "") == (o.GRPCAddr == "") {
		return o, errors.New("set exactly one of URL and GRPCAddr")
	}
	if o.Connections < 1 || o.Duration <= 0 {
		return o, errors.New("connections must be >= 1 and duration > 0")
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Method == "" {
		o.Method = http.MethodGet
	}
	if o.Path == "" {
		o.Path = "/"
	}
	return o, nil
}

// newWorkers makes one doer a connection; closeAll closes the ones made,
// also after an error.
func newWorkers(o Options) (workers []doer, closeAll func(), err error) {
	var closers []func()
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	workers = make([]doer, o.Connections)
	for i := range workers {
		var closeFn func()
		if o.URL != "" {
			workers[i], closeFn = httpDoer(o)
		} else if workers[i], closeFn, err = grpcDoer(o); err != nil {
			return nil, closeAll, err
		}
		closers = append(closers, closeFn)
	}
	return workers, closeAll, nil
}

// drive runs every worker back to back until duration is up, each request
// bounded by timeout, and returns each worker's samples.
func drive(ctx context.Context, workers []doer, duration, timeout time.Duration) ([][]sample, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	all := make([][]sample, len(workers))
	var wg sync.WaitGroup
	start := time.Now()
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]sample, 0, 4096)
			for ctx.Err() == nil {
				rctx, rcancel := context.WithTimeout(context.Background(), timeout)
				t0 := time.Now()
				st, err := w(rctx)
				buf = append(buf, sample{time.Since(t0), st, err})
				rcancel()
			}
			all[i] = buf
		}()
	}
	wg.Wait()
	return all, time.Since(start)
}

// tally counts the samples into the result: statuses, errors (with
// expect, any other status too) and the latency percentiles.
func (res *Result) tally(all [][]sample, elapsed time.Duration, expect int) {
	var lats []time.Duration
	for _, ws := range all {
		for _, s := range ws {
			res.Requests++
			if s.err != nil {
				res.Errors++
				if res.FirstError == "" {
					res.FirstError = s.err.Error()
				}
				continue
			}
			res.Status[strconv.Itoa(s.status)]++
			if expect != 0 && s.status != expect {
				res.Errors++
			}
			lats = append(lats, s.lat)
		}
	}
	slices.Sort(lats)
	res.DurationS = round(elapsed.Seconds())
	res.RPS = round(float64(res.Requests) / elapsed.Seconds())
	res.P50ms, res.P90ms, res.P99ms = pct(lats, 0.50), pct(lats, 0.90), pct(lats, 0.99)
	if len(lats) > 0 {
		res.MaxMs = ms(lats[len(lats)-1])
	}
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := sort.Search(len(sorted), func(i int) bool { return float64(i+1) >= p*float64(len(sorted)) })
	return ms(sorted[min(i, len(sorted)-1)])
}

func ms(d time.Duration) float64 { return round(float64(d.Microseconds()) / 1000) }

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// httpDoer gives each worker its own transport limited to one connection.
func httpDoer(o Options) (doer, func()) {
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, o.Method, o.URL, nil)
		if err != nil {
			return 0, err
		}
		for _, h := range o.Headers {
			req.Header.Add(h[0], h[1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}, tr.CloseIdleConnections
}

// grpcDoer gives each worker its own gRPC connection.
func grpcDoer(o Options) (doer, func(), error) {
	conn, err := grpc.NewClient(o.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	client := authv3.NewAuthorizationClient(conn)
	headers := map[string]string{":method": o.Method, ":path": o.Path}
	for _, h := range o.Headers {
		k := strings.ToLower(h[0])
		if prev, ok := headers[k]; ok {
			headers[k] = prev + "," + h[1] // as Envoy joins repeated headers
		} else {
			headers[k] = h[1]
		}
	}
	req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{Method: o.Method, Path: o.Path, Headers: headers},
	}}}
	return func(ctx context.Context) (int, error) {
		resp, err := client.Check(ctx, req)
		if err != nil {
			return 0, err
		}
		if codes.Code(resp.GetStatus().GetCode()) == codes.OK {
			return http.StatusOK, nil
		}
		return int(resp.GetDeniedResponse().GetStatus().GetCode()), nil
	}, func() { _ = conn.Close() }, nil
}
