package e2e

import (
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
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
	"meshauth.dev/meshauth/internal/loopback"
)

// Time budgets. Every process and every wait is bounded by one of these.
const (
	envTimeout   = 4 * time.Minute       // one environment (render, boot, flows)
	readyTimeout = loopback.ReadyTimeout // a process becoming ready
	stopTimeout  = loopback.StopTimeout  // SIGTERM → SIGKILL
	httpTimeout  = 10 * time.Second      // one HTTP exchange
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

// logs gathers every process's and server's log of one environment and
// prints them when the test failed (always with E2E_LOGS=1).
type logs struct {
	mu    sync.Mutex
	names []string
	bufs  map[string]*loopback.Tail
}

func newLogs(t testing.TB) *logs {
	l := &logs{bufs: map[string]*loopback.Tail{}}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("E2E_LOGS") == "" {
			return
		}
		for _, n := range l.names {
			t.Logf("----- log of %s -----\n%s----- end of %s -----", n, l.bufs[n].Last(24<<10), n)
		}
	})
	return l
}

// get is the log of name: its last MiB, of which a failure prints the end.
func (l *logs) get(name string) *loopback.Tail {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.bufs[name]; ok {
		return b
	}
	b := loopback.NewTail(1 << 20)
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
	log *loopback.Tail
}

// start runs bin with args and env (loopback.Start) until ctx ends or the
// test cleans up; it is stopped by its PID.
func start(t testing.TB, ctx context.Context, lg *logs, name, bin string, args, env []string) *proc {
	t.Helper()
	b := lg.get(name)
	dp, err := loopback.Start(ctx, loopback.Program{Name: name, Path: bin, Args: args, Env: env, Dir: t.TempDir(), Log: b})
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
	cmd.Env = daemon.Env("", env...)
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

// waitReady waits until url answers 200 (loopback.Ready), failing early
// when p exits.
func waitReady(t testing.TB, ctx context.Context, p *proc, url string) {
	t.Helper()
	if err := loopback.Ready(ctx, p.Proc, url); err != nil {
		t.Fatal(err)
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
