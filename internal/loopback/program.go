// Package loopback puts the stack authconfig-fn emits on 127.0.0.1: Dex,
// oauth2-proxy and check-server started from the emitted configs and
// Deployments, and a login through them. The e2e tests and the benchmarks
// both boot it with these steps, so both run the programs the same way;
// every step returns an error, which e2e turns into t.Fatal.
package loopback

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
)

// Time budgets of a started program.
const (
	ReadyTimeout = 30 * time.Second // starting until it answers
	StopTimeout  = 5 * time.Second  // SIGTERM → SIGKILL
)

// Program is one program to start.
type Program struct {
	Name string
	Path string
	Args []string
	Env  []string  // added to a minimal environment: PATH, and HOME=Dir
	Dir  string    // working directory and HOME, the caller's to remove
	Log  io.Writer // stdout and stderr, after a line with the command
}

// Start starts p. It runs until the caller stops it by PID
// (Proc.Stop(StopTimeout)) or ctx ends (SIGTERM, then SIGKILL after
// StopTimeout): a program never outlives the run that started it.
func Start(ctx context.Context, p Program) (*daemon.Proc, error) {
	if p.Dir == "" {
		return nil, fmt.Errorf("loopback: %s needs a Dir of its own (it is also its HOME)", p.Name)
	}
	log := p.Log
	if log == nil {
		log = io.Discard
	}
	cmd := exec.CommandContext(ctx, p.Path, p.Args...)
	cmd.Dir = p.Dir
	cmd.Env = daemon.Env(p.Dir, p.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = StopTimeout
	fmt.Fprintf(log, "$ %s %s\n", p.Path, strings.Join(p.Args, " "))
	return daemon.Start(p.Name, cmd)
}

// Ready waits until url answers 200, failing early when p exits: a poll
// bounded by ReadyTimeout (daemon.WaitHTTP).
func Ready(ctx context.Context, p *daemon.Proc, url string) error {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	if err := daemon.WaitHTTP(ctx, p, url, http.StatusOK); err != nil {
		return fmt.Errorf("%w (within %s)", err, ReadyTimeout)
	}
	return nil
}

// FreeAddr is 127.0.0.1:<port> for a program told its listen address
// (daemon.FreePort says where the port comes from, and why).
func FreeAddr() (string, error) {
	p, err := daemon.FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}
