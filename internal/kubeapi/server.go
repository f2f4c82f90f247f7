// Package kubeapi starts a real kube-apiserver and etcd on 127.0.0.1 for
// tests: the binaries `make kube-apiserver etcd` builds into ./bin, a CA,
// serving certificate, admin client certificate (system:masters) and
// service-account signing key generated with crypto/x509, RBAC on, and the
// service-account issuer at the server's own URL. No controller-manager
// runs: there is no `default` ServiceAccount and no garbage collection.
//
// One server per test package: call Main from TestMain and Shared from the
// tests (the server starts on first use, ~4 s, and stops after the last test).
package kubeapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"meshauth.dev/meshauth/internal/daemon"
)

// Budgets: every wait is bounded by one of these.
const (
	readyTimeout = 90 * time.Second // both programs ready (2 busy cores: ~4 s idle)
	stopGrace    = 5 * time.Second  // SIGTERM → SIGKILL
	bindAttempts = 5                // tries with fresh ports when a port was taken
)

// Server is a running kube-apiserver backed by its own etcd.
type Server struct {
	// URL is https://127.0.0.1:<port>.
	URL string
	// Issuer is the service-account issuer (--service-account-issuer): URL.
	Issuer string
	// CAFile is the PEM CA that signed the serving certificate.
	CAFile string
	// Dir holds the key material, etcd's data and both programs' logs.
	Dir string
	// StartedIn is how long start-up took, until /readyz answered 200.
	StartedIn time.Duration

	pki       *pki
	admin     *http.Client
	etcd, api *daemon.Proc
	apiLog    string
	etcdLog   string

	mu        sync.Mutex
	resources map[string]resource // "apiVersion/kind" → REST resource
}

// Start starts etcd and kube-apiserver from binDir with everything under
// dir, and waits until /readyz answers 200 or ctx ends.
func Start(ctx context.Context, binDir, dir string) (*Server, error) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	p, err := newPKI(dir)
	if err != nil {
		return nil, fmt.Errorf("kubeapi: generating certificates: %w", err)
	}
	s := &Server{Dir: dir, CAFile: p.caFile, pki: p}
	if s.admin, err = s.client(true); err != nil {
		return nil, err
	}

	// etcd: client and peer port on loopback, data in dir.
	var etcdURL string
	s.etcd, s.etcdLog, err = startBound(ctx, "etcd", filepath.Join(binDir, "etcd"), dir, 2, func(ports []int) []string {
		client, peer := "http://"+hostPort(ports[0]), "http://"+hostPort(ports[1])
		etcdURL = client
		return []string{
			"--name=kubeapi", "--data-dir=" + filepath.Join(dir, "etcd-"+strconv.Itoa(ports[0])),
			"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=kubeapi=" + peer,
			"--log-level=warn", "--unsafe-no-fsync", // a throwaway store: no fsync cost
		}
	}, func(ctx context.Context, p *daemon.Proc, ports []int) error {
		return daemon.WaitHTTP(ctx, p, "http://"+hostPort(ports[0])+"/health", http.StatusOK)
	})
	if err != nil {
		return nil, err
	}

	s.api, s.apiLog, err = startBound(ctx, "kube-apiserver", filepath.Join(binDir, "kube-apiserver"), dir, 1, func(ports []int) []string {
		s.URL = "https://" + hostPort(ports[0])
		s.Issuer = s.URL
		return []string{
			"--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ports[0]),
			// A loopback advertise address is refused by the endpoint
			// reconciler; nothing here needs the kubernetes Service endpoints.
			"--endpoint-reconciler-type=none",
			"--cert-dir=" + dir,
			"--tls-cert-file=" + p.servingCert, "--tls-private-key-file=" + p.servingKey,
			"--client-ca-file=" + p.caFile,
			"--authorization-mode=RBAC",
			"--service-account-issuer=" + s.Issuer,
			"--service-account-jwks-uri=" + s.Issuer + "/openid/v1/jwks",
			"--service-account-key-file=" + p.saPub,
			"--service-account-signing-key-file=" + p.saKey,
			"--service-cluster-ip-range=10.96.0.0/24",
			"--enable-priority-and-fairness=false", "--profiling=false",
		}
	}, func(ctx context.Context, p *daemon.Proc, ports []int) error {
		return s.waitReady(ctx, p)
	})
	if err != nil {
		s.etcd.Stop(stopGrace)
		return nil, err
	}
	s.StartedIn = time.Since(began)
	return s, nil
}

// Stop stops kube-apiserver, then etcd, by PID.
func (s *Server) Stop() {
	if s == nil {
		return
	}
	if s.api != nil {
		s.api.Stop(stopGrace)
	}
	if s.etcd != nil {
		s.etcd.Stop(stopGrace)
	}
}

// Logs returns the tail of both programs' logs, for a failure message.
func (s *Server) Logs() string {
	return "--- kube-apiserver ---\n" + tail(s.apiLog) + "\n--- etcd ---\n" + tail(s.etcdLog)
}

// waitReady polls /readyz as admin until it answers 200: a poll with a
// deadline, failing early when the program exits.
func (s *Server) waitReady(ctx context.Context, p *daemon.Proc) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		resp, err := s.admin.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		if p.Exited() {
			return fmt.Errorf("kube-apiserver exited before it was ready (%v); last /readyz: %s", p.Err(), last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready within %s: last /readyz: %s", readyTimeout, last)
		case <-tick.C:
		}
	}
}

// client is an HTTPS client that trusts the CA; asAdmin adds the
// system:masters client certificate.
func (s *Server) client(asAdmin bool) (*http.Client, error) {
	caPEM, err := os.ReadFile(s.pki.caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if asAdmin {
		cert, err := tls.LoadX509KeyPair(s.pki.adminCert, s.pki.adminKey)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// startBound starts a program that must be told its ports: it picks free
// loopback ports, starts the program and waits for ready; when the program
// failed because a port was taken in between, it retries with fresh ports.
// Output goes to a log file per attempt, never to the caller's stdout (a
// `$(...)` around the tests would wait for the servers otherwise).
func startBound(ctx context.Context, name, bin, dir string, nports int,
	args func(ports []int) []string, ready func(context.Context, *daemon.Proc, []int) error) (*daemon.Proc, string, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, "", fmt.Errorf("kubeapi: %s: %w", name, err)
	}
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(nports)
		if err != nil {
			return nil, "", err
		}
		logPath := filepath.Join(dir, fmt.Sprintf("%s.%d.log", name, attempt))
		logf, err := os.Create(logPath)
		if err != nil {
			return nil, "", err
		}
		cmd := exec.Command(bin, args(ports)...)
		cmd.Env = daemon.Env(dir)
		cmd.Dir = dir
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, logf, logf
		// Killed with the test binary, should it die without stopping them.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		p, err := daemon.Start(name, cmd)
		logf.Close() // the child holds its own descriptor
		if err != nil {
			return nil, "", err
		}
		err = ready(ctx, p, ports)
		if err == nil {
			return p, logPath, nil
		}
		p.Stop(stopGrace)
		if attempt < bindAttempts && ctx.Err() == nil && bindFailed(logPath) {
			continue
		}
		return nil, logPath, fmt.Errorf("kubeapi: %v\n--- %s log (%s) ---\n%s", err, name, logPath, tail(logPath))
	}
}

// freePorts returns ports that were free on 127.0.0.1 a moment ago; the
// caller retries when one was taken before the program bound it.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kubeapi: no free loopback port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func bindFailed(logPath string) bool {
	b, _ := os.ReadFile(logPath)
	return bytes.Contains(b, []byte("address already in use"))
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 8 << 10
	if len(b) > max {
		b = append([]byte("…"), b[len(b)-max:]...)
	}
	return string(b)
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
