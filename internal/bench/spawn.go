package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Spawner is cmd/bench-spawn, which starts each measured program and
// reports the child's own wall time, CPU and peak RSS (see there for why);
// empty runs programs directly.
var Spawner string

// spawned wraps cmd in the spawner when there is one, and returns a
// function that reads the child's own numbers after cmd has run.
func spawned(cmd *exec.Cmd) (func(st *RunStat) error, error) {
	if Spawner == "" {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Args = append([]string{Spawner, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = Spawner
	cmd.ExtraFiles = []*os.File{w}
	return func(st *RunStat) error {
		w.Close()
		defer r.Close()
		var wall, cpu, rss int64
		if _, err := fmt.Fscan(bufio.NewReader(r), &wall, &cpu, &rss); err != nil {
			return fmt.Errorf("reading the spawner's report: %w", err)
		}
		st.Wall, st.CPU, st.MaxRSS = time.Duration(wall), time.Duration(cpu), rss
		return nil
	}, nil
}
