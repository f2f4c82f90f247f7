package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
)

// Time budgets. Every process and every wait is bounded by one of these.
const (
	envTimeout   = 4 * time.Minute  // one environment (render, boot, flows)
	readyTimeout = 30 * time.Second // a process becoming ready
	stopTimeout  = 5 * time.Second  // SIGTERM → SIGKILL
	httpTimeout  = 10 * time.Second // one HTTP exchange
)

// repoRoot is the repository root (go test runs in the package directory).
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(wd)
}()

// binPath is ./bin/<name>, or for authconfig-fn the binary named by
// $E2E_AUTHCONFIG_FN: run the flows against another build of the function
// (docs/e2e.md shows the mutation runs that use it).
func binPath(name string) string {
	if v := os.Getenv("E2E_AUTHCONFIG_FN"); v != "" && name == "authconfig-fn" {
		return v
	}
	return filepath.Join(repoRoot, "bin", name)
}

// binary returns ./bin/<name>. e2e is not a short test: under -short it
// skips; otherwise a missing binary is a failure that says how to build it.
func binary(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	p := binPath(name)
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		how := "make build"
		if name == "oauth2-proxy" || name == "dex" {
			how = "make upstream"
		}
		if name == "istiod-xds" {
			how = "make istiod-xds"
		}
		t.Fatalf("e2e needs %s: run `%s` first (CI runs it before the tests); or use go test -short to skip e2e", p, how)
	}
	return p
}

// requireBinaries checks the binaries an environment needs up front, so one
// run reports all of what is missing.
func requireBinaries(t testing.TB, names ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	var missing, targets []string
	for _, n := range names {
		p := binPath(n)
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			missing = append(missing, p)
			target := "make build"
			if n == "oauth2-proxy" || n == "dex" {
				target = "make upstream"
			}
			if n == "hydra" {
				target = "make hydra"
			}
			if n == "istiod-xds" {
				target = "make istiod-xds"
			}
			if !slices.Contains(targets, target) {
				targets = append(targets, target)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("e2e needs %s: run `%s` first (CI does, before the tests); or use go test -short to skip e2e",
			strings.Join(missing, ", "), strings.Join(targets, "` and `"))
	}
}

// freePort returns a free 127.0.0.1 port below the kernel's ephemeral range
// (daemon.FreePort says why). For the Go servers of the harness the listener
// itself is kept (listen); this is for the programs that must be told their
// address.
func freePort(t testing.TB) int {
	t.Helper()
	p, err := daemon.FreePort()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	return p
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return l
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// logBuffer collects a process's output; safe for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	const max = 1 << 20
	if b.buf.Len() < max {
		b.buf.Write(p)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logs gathers every process's and server's log of one environment and
// prints them when the test failed (always with E2E_LOGS=1).
type logs struct {
	mu    sync.Mutex
	names []string
	bufs  map[string]*logBuffer
}

func newLogs(t testing.TB) *logs {
	l := &logs{bufs: map[string]*logBuffer{}}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("E2E_LOGS") == "" {
			return
		}
		for _, n := range l.names {
			out := l.bufs[n].String()
			const tail = 24 << 10
			if len(out) > tail {
				out = "…(truncated)…\n" + out[len(out)-tail:]
			}
			t.Logf("----- log of %s -----\n%s----- end of %s -----", n, out, n)
		}
	})
	return l
}

func (l *logs) get(name string) *logBuffer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.bufs[name]; ok {
		return b
	}
	b := &logBuffer{}
	l.bufs[name] = b
	l.names = append(l.names, name)
	return b
}

func (l *logs) printf(name, format string, args ...any) {
	fmt.Fprintf(l.get(name), time.Now().Format("15:04:05.000 ")+format+"\n", args...)
}

// proc is one started program and its log.
type proc struct {
	*daemon.Proc
	log *logBuffer
}

// start runs bin with args and env (added to a minimal environment) until
// ctx ends or the test cleans up; it is stopped by its PID: SIGTERM, then
// SIGKILL after stopTimeout.
func start(t testing.TB, ctx context.Context, lg *logs, name, bin string, args, env []string) *proc {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, env...)
	cmd.Dir = t.TempDir()
	b := lg.get(name)
	cmd.Stdout, cmd.Stderr = b, b
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	fmt.Fprintf(b, "$ %s %s\n", bin, strings.Join(args, " "))
	dp, err := daemon.Start(name, cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dp.Stop(stopTimeout) })
	return &proc{Proc: dp, log: b}
}

// run runs a program to completion within timeout and returns its combined
// output and exit code (-1 when it could not run or timed out).
func run(ctx context.Context, timeout time.Duration, bin string, args []string, env []string) (string, int) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee) && ctx.Err() == nil:
		return string(out), ee.ExitCode()
	default:
		return string(out) + "\n" + err.Error(), -1
	}
}

// waitReady polls url until it answers want (a poll with a deadline, not a
// sleep), failing early when p exits.
func waitReady(t testing.TB, ctx context.Context, p *proc, url string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var dp *daemon.Proc
	if p != nil {
		dp = p.Proc
	}
	if err := daemon.WaitHTTP(ctx, dp, url, want); err != nil {
		t.Fatalf("%v (within %s)", err, readyTimeout)
	}
}

// serve runs an http.Handler on l until the test ends.
func serve(t testing.TB, lg *logs, name string, l net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: httpTimeout,
		ErrorLog: newStdLogger(lg.get(name))}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

func newStdLogger(w io.Writer) *log.Logger { return log.New(w, "", log.Ltime|log.Lmicroseconds) }
