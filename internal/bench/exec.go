package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// RunStat is one timed run of a program.
type RunStat struct {
	Wall   time.Duration
	CPU    time.Duration // user + system
	MaxRSS int64         // KiB, peak
}

// execOnce runs bin with args in dir, stdin from input, stdout discarded
// (counted), and returns its wall time, CPU time and peak RSS. A non-zero
// exit is an error carrying the tail of stderr.
func execOnce(ctx context.Context, dir, bin string, args []string, input []byte) (RunStat, int64, error) {
	st, out, err := execCount(ctx, dir, bin, args, input)
	return st, out.n, err
}

func execCount(ctx context.Context, dir, bin string, args []string, input []byte) (RunStat, *countWriter, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	if input != nil {
		cmd.Stdin = bytes.NewReader(input)
	}
	var out countWriter
	var stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	own, err := spawned(cmd)
	if err != nil {
		return RunStat{}, &out, err
	}
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if own != nil {
		// Close our end of the report pipe whatever happened.
		st := RunStat{}
		if rerr := own(&st); err == nil && rerr == nil {
			return st, &out, nil
		} else if err == nil {
			err = rerr
		}
	}
	if err != nil {
		tail := stderr.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return RunStat{}, &out, fmt.Errorf("%s %v: %w\n%s", bin, args, err, tail)
	}
	st := RunStat{Wall: wall}
	if ps := cmd.ProcessState; ps != nil {
		st.CPU = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			st.MaxRSS = ru.Maxrss
		}
	}
	return st, &out, nil
}

// countWriter counts bytes and YAML document separators ("\n---\n"), and
// hashes what it saw (to tell two builds' outputs apart without keeping them).
type countWriter struct {
	n, docs int64
	tail    []byte
	h       hash.Hash
}

func (w *countWriter) sum() string {
	if w.h == nil {
		return ""
	}
	return string(w.h.Sum(nil))
}

func (w *countWriter) Write(p []byte) (int, error) {
	if w.h == nil {
		w.h = sha256.New()
	}
	w.h.Write(p)
	w.n += int64(len(p))
	buf := append(w.tail, p...)
	w.docs += int64(bytes.Count(buf, []byte("\n---\n")))
	// Keep the last 4 bytes so a separator split across writes is counted
	// once: a full match needs 5, so no match lies wholly in the kept tail.
	w.tail = append(w.tail[:0], buf[max(0, len(buf)-4):]...)
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

// Series is the repeated runs of one command.
type Series struct {
	Runs []RunStat
}

func (s Series) median(f func(RunStat) time.Duration) time.Duration {
	v := make([]time.Duration, len(s.Runs))
	for i, r := range s.Runs {
		v[i] = f(r)
	}
	return median(v)
}

// median of v (sorted in place); the mean of the middle two for even
// lengths, zero for none.
func median[T int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Wall is the median wall time.
func (s Series) Wall() time.Duration {
	return s.median(func(r RunStat) time.Duration { return r.Wall })
}

// CPU is the median CPU time.
func (s Series) CPU() time.Duration { return s.median(func(r RunStat) time.Duration { return r.CPU }) }

// MaxRSSMiB is the largest peak RSS seen, in MiB.
func (s Series) MaxRSSMiB() float64 {
	var m int64
	for _, r := range s.Runs {
		m = max(m, r.MaxRSS)
	}
	return float64(m) / 1024
}

// alternate runs a and b in turns (a, b, a, b, ...) n times each, so drift
// on a shared machine hits both sides alike.
func alternate(n int, a, b func() (RunStat, error)) (Series, Series, error) {
	var sa, sb Series
	for i := 0; i < n; i++ {
		first, second := a, b
		firstS, secondS := &sa, &sb
		if i%2 == 1 { // a b b a a b ...: neither side always goes first
			first, second, firstS, secondS = b, a, &sb, &sa
		}
		r, err := first()
		if err != nil {
			return sa, sb, err
		}
		firstS.Runs = append(firstS.Runs, r)
		r, err = second()
		if err != nil {
			return sa, sb, err
		}
		secondS.Runs = append(secondS.Runs, r)
	}
	return sa, sb, nil
}
