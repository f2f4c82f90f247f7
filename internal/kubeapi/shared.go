package kubeapi

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Make is the target that builds the binaries, named in skip and failure lines.
const Make = "make kube-apiserver etcd"

var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	srv     *Server
	err     error
	dir     string
}

// Main runs a package's tests and then stops the shared server: call it
// from TestMain, as os.Exit(kubeapi.Main(m)).
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.srv.Stop()
	if shared.dir != "" && code == 0 {
		os.RemoveAll(shared.dir)
	} else if shared.dir != "" {
		fmt.Fprintf(os.Stderr, "kubeapi: logs and data kept in %s\n", shared.dir)
	}
	return code
}

// Shared returns the test package's one API server, starting it on first
// use. Without the binaries it skips under -short (one line naming the
// make target) and fails otherwise. A start that failed fails every test
// that asks, with the same error.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if fi, err := os.Stat(filepath.Join(bin, b)); err != nil || fi.IsDir() {
			missing = append(missing, filepath.Join(bin, b))
		}
	}
	if len(missing) > 0 {
		if testing.Short() {
			t.Skipf("kubeapi: %s not built: run `%s` (skipped under -short)", strings.Join(missing, " and "), Make)
		}
		t.Fatalf("kubeapi: %s not built: run `%s` first (make test does), or go test -short to skip", strings.Join(missing, " and "), Make)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("kubeapi.Shared needs kubeapi.Main in the package's TestMain (it stops the server after the last test)")
	}
	if !shared.started {
		shared.started = true
		shared.dir, shared.err = os.MkdirTemp("", "kubeapi-")
		if shared.err == nil {
			shared.srv, shared.err = Start(context.Background(), bin, shared.dir)
		}
		if shared.err == nil {
			t.Logf("kubeapi: etcd + kube-apiserver ready at %s in %s", shared.srv.URL, shared.srv.StartedIn.Round(1e6))
		}
	}
	if shared.err != nil {
		t.Fatalf("kubeapi: the API server did not start: %v", shared.err)
	}
	return shared.srv
}

// BinDir is the repository's bin/ (the module root holding the go.mod of
// meshauth.dev/meshauth, found from the working directory up; nested
// modules such as e2e/istiod are passed over).
func BinDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isRoot(filepath.Join(dir, "go.mod")) {
			return filepath.Join(dir, "bin"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("kubeapi: no go.mod of meshauth.dev/meshauth above the working directory")
		}
		dir = parent
	}
}

func isRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == "meshauth.dev/meshauth"
		}
	}
	return false
}
