// Command bench-spawn is how meshauth-bench starts the programs it
// measures: it runs its arguments with its own stdin, stdout and stderr and
// writes "wall-ns cpu-ns maxrss-KiB" for that child to fd 3, exiting with
// the child's code. It exists for the peak RSS: Go starts children with
// vfork, and Linux carries the parent's RSS high-water mark into the
// child's ru_maxrss at exec, so a child of meshauth-bench (which holds the
// parsed corpus) would report hundreds of MiB it never used. Started from
// this small process, the child's peak is its own. Standard library only,
// to keep its own footprint (the floor of every reading) small.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	report := os.NewFile(3, "report")
	if len(os.Args) < 2 || report == nil {
		fmt.Fprintln(os.Stderr, "usage: bench-spawn PROGRAM [ARG...] 3>REPORT")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench-spawn:", err)
		os.Exit(2)
	}
	ps := cmd.ProcessState
	var rss int64
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), (ps.UserTime() + ps.SystemTime()).Nanoseconds(), rss)
	os.Exit(code)
}
