package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FnPoint compares authconfig-fn with the no-op KRM function on one input.
type FnPoint struct {
	Label   string
	Objects int     // items in the ResourceList
	InputMB float64 // ResourceList size
	Fn      Series
	Floor   Series
}

// Ratio is fn / floor on median wall time.
func (p FnPoint) Ratio() float64 { return ratio(p.Fn.Wall(), p.Floor.Wall()) }

// CPURatio is fn / floor on median CPU time.
func (p FnPoint) CPURatio() float64 { return ratio(p.Fn.CPU(), p.Floor.CPU()) }

// FnMBps and FloorMBps are throughputs on median wall time.
func (p FnPoint) FnMBps() float64    { return p.InputMB / p.Fn.Wall().Seconds() }
func (p FnPoint) FloorMBps() float64 { return p.InputMB / p.Floor.Wall().Seconds() }

// Speedup is floor / fn on median wall time (how many times faster).
func (p FnPoint) Speedup() float64 { return ratio(p.Floor.Wall(), p.Fn.Wall()) }

// RSSPerInput is the function's peak RSS over the input size.
func (p FnPoint) RSSPerInput() float64 { return p.Fn.MaxRSSMiB() * (1 << 20) / (p.InputMB * 1e6) }

// FnMsPerMB is the function's median wall time per MB of input.
func (p FnPoint) FnMsPerMB() float64 { return float64(p.Fn.Wall().Milliseconds()) / p.InputMB }

// MarginalMsPerMB is the function's cost per MB on top of its fixed cost:
// (median wall − the empty-package run's median wall) / MB. With the fast
// path the fixed part (start, AuthConfig, generation) is most of a 1× run,
// so the plain ms/MB falls with size; this is what grows with the input.
func (p FnPoint) MarginalMsPerMB(empty FnPoint) float64 {
	return float64((p.Fn.Wall() - empty.Fn.Wall()).Microseconds()) / 1e3 / p.InputMB
}

// FloorMsPerMB is the floor's median wall time per MB of input.
func (p FnPoint) FloorMsPerMB() float64 { return float64(p.Floor.Wall().Milliseconds()) / p.InputMB }

// KustomizeResult compares `kustomize build` with the exec function against
// the same package built from the checked-in, pre-rendered components.
type KustomizeResult struct {
	Exec, Pre               Series
	ExecObjects, PreObjects int
	ExecMB, PreMB           float64
	// Small is the layout the overlays and the README use: the function in
	// a kustomization holding only the objects it patches, that result a
	// resource of the full build next to the rest of the package.
	Small        Series
	SmallObjects int
	SmallMB      float64
	SmallTargets int  // objects in the small kustomization
	SmallSame    bool // Small's output is Exec's, byte for byte
}

// Ratio is exec / pre-rendered on median wall time.
func (k KustomizeResult) Ratio() float64 { return ratio(k.Exec.Wall(), k.Pre.Wall()) }

// SmallRatio is the small layout / pre-rendered on median wall time.
func (k KustomizeResult) SmallRatio() float64 { return ratio(k.Small.Wall(), k.Pre.Wall()) }

// FnResult is the authconfig-fn half of the report.
type FnResult struct {
	Render  Series // `authconfig-fn render -o DIR` of the embedded default
	Default FnPoint
	Scaled  []FnPoint
	Kustom  *KustomizeResult
	Kpt     *KptResult

	Package        string
	PackageObjects int
	PackageMB      float64
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// runFn measures the KRM function against the floor.
func (r *Runner) runFn(ctx context.Context) (*FnResult, error) {
	res := &FnResult{}
	fnBin, noopBin := r.bin("authconfig-fn"), r.bin("krm-noop")
	authConfig, err := os.ReadFile(filepath.Join(r.cfg.Root, "fn/cli/kubeflow.yaml"))
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "meshauth-bench-fn-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	if res.Render, err = r.timeRender(ctx, tmp, fnBin); err != nil {
		return nil, err
	}

	// The default AuthConfig alone, as kpt sends it for an empty package.
	empty := &Package{Name: "none.yaml"}
	rl, items, err := NewResourceList(empty, authConfig, 0)
	if err != nil {
		return nil, err
	}
	p, err := r.fnPoint(ctx, "default AuthConfig, empty package", rl, items, r.cfg.FnRuns[0], tmp, fnBin, noopBin)
	if err != nil {
		return nil, err
	}
	res.Default = p

	corpus, err := os.ReadFile(r.cfg.Corpus)
	if err != nil {
		return nil, err
	}
	pkg, err := ParsePackage(filepath.Base(r.cfg.Corpus), corpus)
	if err != nil {
		return nil, err
	}
	res.Package, res.PackageObjects, res.PackageMB = pkg.Name, len(pkg.Nodes), float64(pkg.Bytes)/1e6
	for _, copies := range r.cfg.FnCopies {
		rl, items, err := NewResourceList(pkg, authConfig, copies)
		if err != nil {
			return nil, err
		}
		label := fmt.Sprintf("%d× %s (%d objects)", copies, pkg.Name, len(pkg.Nodes)*copies)
		p, err := r.fnPoint(ctx, label, rl, items, r.runsFor(copies), tmp, fnBin, noopBin)
		if err != nil {
			return nil, err
		}
		res.Scaled = append(res.Scaled, p)
	}

	if r.cfg.Kustomize {
		k, err := r.runKustomize(ctx, tmp, pkg, corpus, authConfig)
		if err != nil {
			return nil, err
		}
		res.Kustom = k
	}
	if r.cfg.Kpt {
		// The last part: a kpt failure is reported in its table rather
		// than losing the rows measured before it.
		k, err := r.runKpt(ctx, tmp, corpus, authConfig)
		if err != nil {
			r.logf("kpt: %v", err)
			k = &KptResult{Err: err.Error()}
		}
		res.Kpt = k
	}
	return res, nil
}

// timeRender times the CLI render of the embedded default (what `make
// render` does), each run into a fresh folder under tmp.
func (r *Runner) timeRender(ctx context.Context, tmp, fnBin string) (Series, error) {
	var s Series
	for i := 1; i <= r.cfg.FnRuns[0]; i++ {
		out := filepath.Join(tmp, fmt.Sprintf("render-%d", i))
		st, _, err := execOnce(ctx, tmp, fnBin, []string{"render", "-o", out}, nil)
		if err != nil {
			return s, err
		}
		s.Runs = append(s.Runs, st)
	}
	r.logf("fn: CLI render of the default: median %s", s.Wall())
	return s, nil
}

func (r *Runner) runsFor(copies int) int {
	if n, ok := r.cfg.FnRuns[copies]; ok {
		return n
	}
	return 1
}

func (r *Runner) fnPoint(ctx context.Context, label string, rl []byte, items, runs int, dir, fnBin, noopBin string) (FnPoint, error) {
	p := FnPoint{Label: label, Objects: items, InputMB: float64(len(rl)) / 1e6}
	var fnOut int64
	run := func(bin string, out *int64) func() (RunStat, error) {
		return func() (RunStat, error) {
			st, n, err := execOnce(ctx, dir, bin, nil, rl)
			if out != nil {
				*out = n
			}
			return st, err
		}
	}
	var err error
	p.Fn, p.Floor, err = alternate(runs, run(fnBin, &fnOut), run(noopBin, nil))
	if err != nil {
		return p, err
	}
	if fnOut == 0 {
		return p, fmt.Errorf("%s: authconfig-fn wrote nothing", label)
	}
	r.logf("fn: %s: %.1f MB, fn %s, floor %s (%.2f×) over %d runs", label, p.InputMB, p.Fn.Wall(), p.Floor.Wall(), p.Ratio(), runs)
	return p, nil
}

// runKustomize builds the Kubeflow package two ways: with authconfig-fn as an
// exec transformer (resources mode), and with the checked-in components/
// (rendered from the same default AuthConfig) as kustomize components; and
// the first again in the small layout (layout.go has the three).
func (r *Runner) runKustomize(ctx context.Context, tmp string, pkg *Package, corpus, authConfig []byte) (*KustomizeResult, error) {
	fnBin := r.bin("authconfig-fn")
	execDir, preDir, smallDir := filepath.Join(tmp, "kustomize-exec"), filepath.Join(tmp, "kustomize-pre"), filepath.Join(tmp, "kustomize-small")
	if err := execLayout(execDir, corpus, authConfig, fnBin); err != nil {
		return nil, err
	}
	provided, err := preRenderedLayout(preDir, filepath.Join(r.cfg.Root, "components"), pkg)
	if err != nil {
		return nil, err
	}
	targets, err := smallLayout(smallDir, pkg, authConfig, provided, fnBin)
	if err != nil {
		return nil, err
	}
	return r.timeKustomize(ctx, execDir, preDir, smallDir, targets)
}

// timeKustomize times `kustomize build` of the exec and the small layouts,
// each alternated with the pre-rendered one.
func (r *Runner) timeKustomize(ctx context.Context, execDir, preDir, smallDir string, targets int) (*KustomizeResult, error) {
	kbin := r.bin("kustomize")
	k := &KustomizeResult{SmallTargets: targets}
	var execOut, preOut, smallOut *countWriter
	build := func(dir string, out **countWriter, extra ...string) func() (RunStat, error) {
		return func() (RunStat, error) {
			st, cw, err := execCount(ctx, dir, kbin, append([]string{"build"}, append(extra, ".")...), nil)
			*out = cw
			return st, err
		}
	}
	var err error
	k.Exec, k.Pre, err = alternate(r.cfg.KustomizeRuns,
		build(execDir, &execOut, "--enable-alpha-plugins", "--enable-exec"),
		build(preDir, &preOut))
	if err != nil {
		return nil, err
	}
	k.ExecMB, k.PreMB = float64(execOut.n)/1e6, float64(preOut.n)/1e6
	k.ExecObjects, k.PreObjects = int(execOut.docs)+1, int(preOut.docs)+1
	// The small layout against the same pre-rendered build, alternated too.
	var pre2 Series
	k.Small, pre2, err = alternate(r.cfg.KustomizeRuns,
		build(smallDir, &smallOut, "--enable-alpha-plugins", "--enable-exec"),
		build(preDir, &preOut))
	if err != nil {
		return nil, err
	}
	k.Pre.Runs = append(k.Pre.Runs, pre2.Runs...)
	k.SmallMB, k.SmallObjects = float64(smallOut.n)/1e6, int(smallOut.docs)+1
	k.SmallSame = smallOut.n == execOut.n && smallOut.sum() == execOut.sum()
	r.logf("kustomize: exec %s (%d objects), small layout %s (%d objects, same bytes %v), pre-rendered %s (%d objects): %.2f×, %.2f×",
		k.Exec.Wall(), k.ExecObjects, k.Small.Wall(), k.SmallObjects, k.SmallSame, k.Pre.Wall(), k.PreObjects, k.Ratio(), k.SmallRatio())
	return k, nil
}
