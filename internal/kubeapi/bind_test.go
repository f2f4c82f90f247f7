package kubeapi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
)

// fakeServer fails its first start the way etcd and kube-apiserver do when
// a port was taken between the pick and the bind, then runs.
const fakeServer = `#!/bin/sh
if [ ! -e "$1" ]; then : > "$1"; echo "listen tcp 127.0.0.1:$2: bind: address already in use" >&2; exit 1; fi
echo "$3" >&2; [ "$3" = fail ] && exit 1
: > "$1.ready"; exec sleep 30
`

func TestStartBoundRetriesATakenPort(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake")
	if err := os.WriteFile(bin, []byte(fakeServer), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode     string
		attempts int
		wantErr  string
	}{{"serve", 2, ""}, {"fail", 2, "fail"}} {
		t.Run(tc.mode, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "bound-once")
			attempts := 0
			p, _, err := startBound(context.Background(), "fake", bin, t.TempDir(), 1,
				func(ports []int) []string { attempts++; return []string{marker, strconv.Itoa(ports[0]), tc.mode} },
				func(ctx context.Context, p *daemon.Proc, _ []int) error {
					for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
						if p.Exited() {
							return errors.New("exited")
						}
						if _, err := os.Stat(marker + ".ready"); err == nil {
							return nil
						}
					}
					return errors.New("timeout")
				})
			if p != nil {
				defer p.Stop(time.Second)
			}
			if attempts != tc.attempts {
				t.Errorf("%d attempts, want %d", attempts, tc.attempts)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("start after a taken port: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("a failure that is not a bind: %v, want an error with the log (%q)", err, tc.wantErr)
			}
		})
	}
}
