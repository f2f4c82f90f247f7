package daemon

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// FreePort returns a loopback port for a program that takes its listen
// address as a flag (Dex, oauth2-proxy, check-server, Hydra, Redis), so it
// cannot be handed a listener. The port comes from below the kernel's
// ephemeral range (net.ipv4.ip_local_port_range): "listen on :0, close,
// hand the number over" races with every outgoing connection on the
// machine, whose source ports the kernel takes from that range — the
// "bind: address already in use" a benchmark under load hit. Below it only
// another explicit listener can take the port; a bind check rules out the
// ones already taken, and random picks make two callers colliding unlikely.
func FreePort() (int, error) {
	low := ephemeralLow()
	const floor = 10000
	if low <= floor+1000 {
		return listenPort() // an unusual range: fall back to the kernel's pick
	}
	for range 200 {
		p := floor + rand.IntN(low-floor)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free loopback port in %d-%d after 200 tries", floor, low-1)
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
