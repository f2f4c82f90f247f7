package daemon

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCPUTime reads this process's /proc stat while it burns CPU: the
// counter must rise past what the burning costs.
func TestCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	p := &Proc{Name: "self", Cmd: &exec.Cmd{Process: self}}
	start, err := p.CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	x := 0
	for {
		for i := 0; i < 1e6; i++ {
			x += i
		}
		now, err := p.CPUTime()
		if err != nil {
			t.Fatal(err)
		}
		if now-start >= 50*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stuck at %v after 20 s of busy loop (%d)", now-start, x)
		}
	}
}

// TestWaitHTTP: ready when the server answers the wanted status; an error
// naming the program and the last answer when it exits or time runs out.
func TestWaitHTTP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	base := "http://" + l.Addr().String()

	if err := WaitHTTP(context.Background(), nil, base+"/ready", 200); err != nil {
		t.Errorf("ready server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := WaitHTTP(ctx, nil, base+"/never", 200); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("never-ready server: got %v, want an error with the last status", err)
	}

	cmd := exec.Command("sh", "-c", "exit 3")
	p, err := Start("quitter", cmd)
	if err != nil {
		t.Fatal(err)
	}
	<-p.done
	if err := WaitHTTP(context.Background(), p, base+"/never", 200); err == nil || !strings.Contains(err.Error(), "quitter exited") {
		t.Errorf("exited program: got %v, want 'quitter exited'", err)
	}
	if p.Err() == nil {
		t.Error("Err() of a program that exited 3 is nil")
	}
}

// TestEnv: PATH always, HOME only when given, the extras after them.
func TestEnv(t *testing.T) {
	if got := strings.Join(Env("/h", "A=1"), " "); got != "PATH=/usr/bin:/bin HOME=/h A=1" {
		t.Errorf("Env(/h, A=1) = %q", got)
	}
	if got := strings.Join(Env(""), " "); got != "PATH=/usr/bin:/bin" {
		t.Errorf("Env without a home = %q, want PATH only", got)
	}
}
