package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
	"meshauth.dev/meshauth/internal/loopback"
)

// proc is one server the benchmarks started; it is stopped by its PID.
type proc struct {
	*daemon.Proc
	out *loopback.Tail // the end of its output, for error messages
}

// startProc runs a server in dir (loopback.Start) until stopAll or the end
// of ctx.
func (r *Runner) startProc(ctx context.Context, name, dir, bin string, args, env []string) (*proc, error) {
	out := loopback.NewTail(64 << 10)
	pp, err := loopback.Start(ctx, loopback.Program{Name: name, Path: bin, Args: args, Env: env, Dir: dir, Log: out})
	if err != nil {
		return nil, err
	}
	p := &proc{Proc: pp, out: out}
	r.procs = append(r.procs, p)
	return p, nil
}

// stopAll stops every started server, newest first.
func (r *Runner) stopAll() {
	for i := len(r.procs) - 1; i >= 0; i-- {
		r.procs[i].Stop(loopback.StopTimeout)
	}
	r.procs = nil
}

// ready waits until url answers 200 (loopback.Ready); the error ends with
// the end of the server's output.
func ready(ctx context.Context, p *proc, url string) error {
	if err := loopback.Ready(ctx, p.Proc, url); err != nil {
		return fmt.Errorf("%w\n%s", err, p.out.Last(4000))
	}
	return nil
}

// vmRSS reads VmRSS and VmHWM (KiB) of a running process.
func vmRSS(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss, _ = strconv.ParseInt(f[1], 10, 64)
		case "VmHWM:":
			hwm, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	return rss, hwm, nil
}

// ServeNull is the floor of the check-server benchmarks: a plain Go
// net/http server answering 200 with an empty body to every request.
func ServeNull(addr string) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	return srv.ListenAndServe()
}
