package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// GoBench is one line of `go test -bench -benchmem` output.
type GoBench struct {
	Pkg         string
	Name        string
	N           int
	NsPerOp     float64
	MBps        float64
	BytesPerOp  float64
	AllocsPerOp float64
}

// goBenchPackages are the hot paths, with the -benchtime each gets: the
// processor benchmarks parse an 9 MB package per op, so they run a fixed count.
var goBenchPackages = []struct{ pkg, benchtime string }{
	{"./checkserver/", ""},
	{"./generators/merge/", ""},
	{"./fn/process/", "2x"},
}

// runGoBench runs the hot-path Go benchmarks and returns the parsed lines
// and the raw output (benchstat reads it as is).
func (r *Runner) runGoBench(ctx context.Context) ([]GoBench, string, error) {
	var all []GoBench
	var raw strings.Builder
	for _, p := range goBenchPackages {
		bt := p.benchtime
		if bt == "" {
			bt = r.cfg.GoBenchTime
		}
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", bt, "-count", "1", p.pkg)
		cmd.Dir = r.cfg.Root
		cmd.Env = os.Environ()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, "", fmt.Errorf("go test -bench %s: %w\n%s", p.pkg, err, out)
		}
		raw.Write(out)
		lines, err := parseGoBench(string(out))
		if err != nil {
			return nil, "", err
		}
		all = append(all, lines...)
		r.logf("go bench: %s: %d benchmarks", p.pkg, len(lines))
	}
	return all, raw.String(), nil
}

func parseGoBench(out string) ([]GoBench, error) {
	var res []GoBench
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "meshauth.dev/meshauth/")
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		b := GoBench{Pkg: pkg, Name: f[0]}
		if i := strings.LastIndex(b.Name, "-"); i > 0 {
			b.Name = b.Name[:i]
		}
		b.Name = strings.TrimPrefix(b.Name, "Benchmark")
		b.N, _ = strconv.Atoi(f[1])
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				b.NsPerOp = v
			case "MB/s":
				b.MBps = v
			case "B/op":
				b.BytesPerOp = v
			case "allocs/op":
				b.AllocsPerOp = v
			}
		}
		res = append(res, b)
	}
	return res, sc.Err()
}
