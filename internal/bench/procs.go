package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
)

// proc is one server the benchmarks started; it is stopped by its PID.
type proc struct {
	*daemon.Proc
	out *tailBuffer
}

// tailBuffer keeps the last 64 KiB of a process's output for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.buf.Len() > 64<<10 {
		keep := append([]byte(nil), b.buf.Bytes()[b.buf.Len()-32<<10:]...)
		b.buf.Reset()
		b.buf.Write(keep)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// startProc runs a server in dir with env added to a minimal environment.
func (r *Runner) startProc(name, dir, bin string, args, env []string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + dir}, env...)
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	pp, err := daemon.Start(name, cmd)
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
		r.procs[i].Stop(5 * time.Second)
	}
	r.procs = nil
}

// waitHTTP polls url until it answers status, the process exits or 30 s pass.
func waitHTTP(ctx context.Context, p *proc, url string, status int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := daemon.WaitHTTP(ctx, p.Proc, url, status); err != nil {
		return fmt.Errorf("%w\n%s", err, p.out)
	}
	return nil
}

// freeAddr returns a free 127.0.0.1:<port> below the kernel's ephemeral
// range, where the load generator's own connections cannot take it
// (daemon.FreePort).
func freeAddr() (string, error) {
	p, err := daemon.FreePort()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(p), nil
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
