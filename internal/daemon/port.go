package daemon

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// FreePort returns a loopback port for a program that takes its listen
// address as a flag (Dex, oauth2-proxy, check-server, Hydra, Redis), so it
// cannot be handed a listener. The port comes from below the kernel's
// ephemeral range (net.ipv4.ip_local_port_range): "listen on :0, close,
// hand the number over" races with every outgoing connection on the
// machine, whose source ports the kernel takes from that range — the
// "bind: address already in use" a benchmark under load hit. Below it only
// another explicit listener can take the port: a bind check rules out the
// ones already bound, and a reservation (reserve) rules out the ones another
// caller — in this process or in another test binary that go test runs at
// the same time — picked and has not bound yet.
func FreePort() (int, error) {
	low := ephemeralLow()
	const floor = 10000
	if low <= floor+1000 {
		return listenPort() // an unusual range: fall back to the kernel's pick
	}
	for range 200 {
		p := floor + rand.IntN(low-floor)
		if !reserve(p) {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue // bound by someone else; stays reserved, harmlessly
		}
		l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free loopback port in %d-%d after 200 tries", floor, low-1)
}

// reserve takes an exclusive flock on <tmp>/meshauth-ports/<port> and keeps
// it until the process exits (the kernel drops it then, however the process
// ends), so no other FreePort caller on the machine picks the port. false:
// another caller holds it. Without a lock directory it reserves nothing
// and leaves the pick to the bind check.
func reserve(port int) bool {
	dir := filepath.Join(os.TempDir(), "meshauth-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return true
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return false
	}
	reserved.Lock()
	defer reserved.Unlock()
	reserved.files = append(reserved.files, f) // held open: the lock lives as long as the file
	return true
}

var reserved struct {
	sync.Mutex
	files []*os.File
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read: Linux's default).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return n
}

func listenPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
