// Package daemon runs the real programs that end-to-end tests and benchmarks
// put on 127.0.0.1 (Dex, oauth2-proxy, check-server, ...), stops them by
// PID, and waits for them to answer.
package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one started program.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	done chan struct{}
	err  error // valid once done is closed
}

// Env is the environment a started program gets: a minimal PATH, HOME when
// home is set, then extra; nothing of the caller's, so a test or benchmark
// does not depend on who runs it.
func Env(home string, extra ...string) []string {
	env := []string{"PATH=/usr/bin:/bin"}
	if home != "" {
		env = append(env, "HOME="+home)
	}
	return append(env, extra...)
}

// Start starts cmd (its output already wired) and reaps it in the background.
func Start(name string, cmd *exec.Cmd) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Stop sends SIGTERM, then SIGKILL after grace, and waits for the exit.
func (p *Proc) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
}

// Done is closed once the program has ended: a wait with its own deadline.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited says whether the program has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is how the program ended (nil while it runs).
func (p *Proc) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// WaitHTTP polls url until it answers want, p exits, or ctx ends: a poll
// with a deadline, not a sleep. The error says what the last probe saw.
func WaitHTTP(ctx context.Context, p *Proc, url string, want int) error {
	c := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = resp.Status
		} else if ctx.Err() == nil || last == "" {
			// A probe cut by the deadline says nothing about the server:
			// keep the answer before it.
			last = err.Error()
		}
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited before it was ready (%v); last probe of %s: %s", p.Name, p.err, url, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: GET %s: %s", nameOf(p), url, last)
		case <-tick.C:
		}
	}
}

func nameOf(p *Proc) string {
	if p == nil {
		return "server"
	}
	return p.Name
}

// CPUTime is the user+system CPU the program has used so far, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s: the
// USER_HZ every Linux ABI fixes at 100).
func (p *Proc) CPUTime() (time.Duration, error) {
	if p == nil || p.Cmd.Process == nil {
		return 0, fmt.Errorf("no process")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; count from its closing paren.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: unreadable /proc stat", p.Name)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: short /proc stat", p.Name)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: unreadable /proc stat", p.Name)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
