package loopback

import (
	"context"
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
)

// TestStart: the program runs in its Dir with a minimal environment (the
// caller's variables do not leak in), its output and command line in Log.
func TestStart(t *testing.T) {
	t.Setenv("LOOPBACK_LEAK", "leaked")
	dir := t.TempDir()
	log := NewTail(4096)
	p, err := Start(context.Background(), Program{Name: "sh", Path: "/bin/sh",
		Args: []string{"-c", `echo "pwd=$(pwd) home=$HOME extra=$EXTRA leak=$LOOPBACK_LEAK"`}, Env: []string{"EXTRA=given"}, Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(StopTimeout)
	waitExit(t, p)
	got := log.String()
	for _, want := range []string{"$ /bin/sh -c ", "pwd=" + dir + " home=" + dir + " extra=given leak=\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q lacks %q", got, want)
		}
	}
	if _, err := Start(context.Background(), Program{Name: "nowhere", Path: "/bin/true"}); err == nil {
		t.Error("Start without a Dir: no error; the program would run in (and as HOME) the caller's folder")
	}
}

// TestStartEndsWithContext: a program outlives no run: the end of ctx
// stops it.
func TestStartEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, Program{Name: "sleeper", Path: "/bin/sleep", Args: []string{"600"}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(StopTimeout)
	cancel()
	waitExit(t, p)
}

// TestReadyExited: a program that exits is reported at once, not after
// ReadyTimeout.
func TestReadyExited(t *testing.T) {
	p, err := Start(context.Background(), Program{Name: "quitter", Path: "/bin/sh", Args: []string{"-c", "exit 3"}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = Ready(context.Background(), p, "http://"+addr+"/")
	if err == nil || !strings.Contains(err.Error(), "quitter exited") {
		t.Errorf("Ready on an exited program = %v, want 'quitter exited'", err)
	}
	if d := time.Since(start); d > ReadyTimeout/2 {
		t.Errorf("Ready took %v to see the exit", d)
	}
}

func waitExit(t *testing.T, p *daemon.Proc) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not exit within 10 s", p.Name)
	}
}
