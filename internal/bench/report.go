package bench

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed benchmarks.md.tmpl
var reportTemplate string

// Machine describes where the numbers come from.
type Machine struct {
	CPU, Kernel, GoVersion string
	Cores                  int
	LoadStart, LoadEnd     string
	MemGiB                 float64
	Upstream               []string // versions of the programs compared
	Date                   string
	Elapsed                time.Duration
	Command                string
}

// Verdict is one target of issue 7 and whether this run met it.
type Verdict struct {
	Target   string
	Measured string
	Met      bool
}

// Full is what the template renders.
type Full struct {
	*Report
	Machine  Machine
	Verdicts []Verdict
	GoBench  []GoBench
	GoRaw    string
	Cfg      Config
}

// Main runs everything, renders the report and writes it.
func (r *Runner) Main(ctx context.Context) error {
	loadStart := loadavg()
	rep, err := r.Run(ctx)
	if err != nil {
		return err
	}
	full := &Full{Report: rep, Cfg: r.cfg}
	if r.cfg.GoBench {
		if full.GoBench, full.GoRaw, err = r.runGoBench(ctx); err != nil {
			return err
		}
	}
	full.Machine = r.machine(ctx, loadStart)
	full.Verdicts = verdicts(rep)
	out, err := Render(full)
	if err != nil {
		return err
	}
	if err := os.WriteFile(r.cfg.Out, out, 0o644); err != nil {
		return err
	}
	r.logf("wrote %s", r.cfg.Out)
	for _, v := range full.Verdicts {
		r.logf("target: %-60s %-40s met=%v", v.Target, v.Measured, v.Met)
	}
	return nil
}

// Render renders the report.
func Render(f *Full) ([]byte, error) {
	t, err := template.New("BENCHMARKS.md").Funcs(template.FuncMap{
		"f0":   func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
		"f1":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
		"f2":   func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
		"kilo": func(v float64) string { return strconv.FormatFloat(v/1000, 'f', 1, 64) + "k" },
		"ms":   func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) },
		"sec":  func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) },
		"div": func(a, b float64) string {
			if b == 0 {
				return "–"
			}
			return strconv.FormatFloat(a/b, 'f', 2, 64) + "×"
		},
		"yes": func(b bool) string {
			if b {
				return "**met**"
			}
			return "**missed**"
		},
		"ns": func(v float64) string {
			switch {
			case v >= 1e6:
				return strconv.FormatFloat(v/1e6, 'f', 2, 64) + " ms"
			case v >= 1e3:
				return strconv.FormatFloat(v/1e3, 'f', 2, 64) + " µs"
			}
			return strconv.FormatFloat(v, 'f', 0, 64) + " ns"
		},
		"join": strings.Join,
	}).Parse(reportTemplate)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (r *Runner) machine(ctx context.Context, loadStart string) Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadStart, LoadEnd: loadavg(),
		Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), Elapsed: time.Since(r.start).Round(time.Second),
		Command: "meshauth-bench " + strings.Join(r.cfg.Args, " ")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.MemGiB = kb / (1 << 20)
			}
		}
	}
	for _, p := range []struct{ name, flag string }{{"oauth2-proxy", "--version"}, {"dex", "version"}, {"kustomize", "version"}} {
		out, err := exec.CommandContext(ctx, r.bin(p.name), p.flag).CombinedOutput()
		if err == nil {
			m.Upstream = append(m.Upstream, p.name+": "+strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]))
		}
	}
	return m
}

func (f *FnResult) kustom() *KustomizeResult {
	if f == nil {
		return nil
	}
	return f.Kustom
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

// verdicts evaluates the targets of issue 7 on this run.
func verdicts(rep *Report) []Verdict {
	var vs []Verdict
	if l := rep.Load; l != nil {
		for _, c := range l.Conns {
			cached, floor, cookie := l.Point("cs-cached-http", c), l.Point("null", c), l.Point("o2p-cookie", c)
			uncached, bearer := l.Point("cs-uncached-http", c), l.Point("o2p-bearer", c)
			if cached == nil || floor == nil || cookie == nil || uncached == nil || bearer == nil {
				continue
			}
			r1 := cached.RPS() / cookie.RPS()
			vs = append(vs, Verdict{fmt.Sprintf("cached allow ≥ 3× oauth2-proxy cookie req/s (HTTP, c=%d)", c), fmt.Sprintf("%.2f×", r1), r1 >= 3})
			if sc := l.Point("cs-cookie-http", c); sc != nil {
				r := sc.RPS() / cookie.RPS()
				vs = append(vs, Verdict{fmt.Sprintf("cookie with the session cache ≥ 3× oauth2-proxy cookie req/s (HTTP, c=%d)", c), fmt.Sprintf("%.2f×", r), r >= 3})
			}
			r2 := cached.RPS() / floor.RPS()
			vs = append(vs, Verdict{fmt.Sprintf("cached allow ≥ 0.6× the null server (HTTP, c=%d)", c), fmt.Sprintf("%.2f×", r2), r2 >= 0.6})
			r3 := uncached.RPS() / bearer.RPS()
			vs = append(vs, Verdict{fmt.Sprintf("uncached RS256 allow ≥ 1.5× oauth2-proxy bearer req/s (HTTP, c=%d)", c), fmt.Sprintf("%.2f×", r3), r3 >= 1.5})
			worst, which, cpu := 0.0, "", 0.0
			for _, k := range []string{"cs-cached", "cs-uncached", "cs-deny", "cs-cookie", "cs-cookie-rt"} {
				h, g := l.Point(k+"-http", c), l.Point(k+"-grpc", c)
				if h == nil || g == nil || g.RPS() == 0 {
					continue
				}
				if q := h.RPS() / g.RPS(); q > worst {
					worst, which = q, strings.TrimPrefix(k, "cs-")
					if h.CPUPerReq() > 0 {
						cpu = g.CPUPerReq() / h.CPUPerReq()
					}
				}
			}
			vs = append(vs, Verdict{fmt.Sprintf("gRPC within 1.5× of HTTP req/s (every check-server row, c=%d)", c),
				fmt.Sprintf("worst HTTP/gRPC %.2f× (%s; server CPU per check gRPC/HTTP %.2f×)", worst, which, cpu), worst <= 1.5})
		}
	}
	if f := rep.Fn; f != nil && len(f.Scaled) > 0 {
		one := f.Scaled[0]
		vs = append(vs, Verdict{fmt.Sprintf("authconfig-fn ≥ 20× faster than the no-op KRM function (%s, median wall)", one.Label),
			fmt.Sprintf("%.1f× (%.0f ms against %.0f ms)", one.Speedup(), ms(one.Fn.Wall()), ms(one.Floor.Wall())), one.Speedup() >= 20})
		vs = append(vs, Verdict{fmt.Sprintf("authconfig-fn peak RSS ≤ 3× the input (%s)", one.Label),
			fmt.Sprintf("%.1f× (%.0f MiB for %.1f MB; the empty package alone %.0f MiB)", one.RSSPerInput(), one.Fn.MaxRSSMiB(), one.InputMB, f.Default.Fn.MaxRSSMiB()), one.RSSPerInput() <= 3})
		minPer, maxPer := 0.0, 0.0
		for i, p := range f.Scaled {
			per := p.MarginalMsPerMB(f.Default)
			if i == 0 || per < minPer {
				minPer = per
			}
			maxPer = max(maxPer, per)
		}
		flat := maxPer / minPer
		vs = append(vs, Verdict{"authconfig-fn cost per MB flat from 1× to the largest package (max/min marginal ms per MB ≤ 1.3)",
			fmt.Sprintf("%.1f–%.1f ms/MB (%.2f×)", minPer, maxPer, flat), flat <= 1.3})
	}
	if k := rep.Fn.kustom(); k != nil {
		vs = append(vs, Verdict{"full Kubeflow kustomize build, function in a small kustomization ≤ 1.3× the build with the checked-in components",
			fmt.Sprintf("%.2f× (the function over the whole package: %.2f×; same bytes: %v)", k.SmallRatio(), k.Ratio(), k.SmallSame), k.SmallRatio() <= 1.3 && k.SmallSame})
	}
	return vs
}
