package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// KptResult is kpt running authconfig-fn against kpt running krm-noop on
// the Kubeflow package: `kpt fn eval --exec` and `kpt fn render` with an
// exec pipeline (components mode, as kpt users run it).
type KptResult struct {
	EvalFn, EvalNoop     Series
	RenderFn, RenderNoop Series
	MB                   float64
	Err                  string // why the rows are missing
}

// EvalRatio and RenderRatio are fn / no-op on median wall time.
func (k KptResult) EvalRatio() float64   { return ratio(k.EvalFn.Wall(), k.EvalNoop.Wall()) }
func (k KptResult) RenderRatio() float64 { return ratio(k.RenderFn.Wall(), k.RenderNoop.Wall()) }

func (r *Runner) runKpt(ctx context.Context, tmp string, corpus, authConfig []byte) (*KptResult, error) {
	kpt := r.bin("kpt")
	res := &KptResult{MB: float64(len(corpus)+len(authConfig)) / 1e6}
	n := 0
	// Every run gets a fresh copy of the package: kpt writes it back.
	pkg := func(fnBin string, render bool) (string, error) {
		n++
		dir := filepath.Join(tmp, fmt.Sprintf("kpt-%d", n))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		files := map[string][]byte{"kubeflow.yaml": corpus, "authconfig.yaml": authConfig}
		if render {
			files["Kptfile"] = []byte("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: bench\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n" +
				"pipeline:\n  mutators:\n  - exec: " + fnBin + "\n    configPath: authconfig.yaml\n")
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return "", err
			}
		}
		return dir, nil
	}
	runOne := func(fnBin string, render bool) func() (RunStat, error) {
		return func() (RunStat, error) {
			dir, err := pkg(fnBin, render)
			if err != nil {
				return RunStat{}, err
			}
			defer os.RemoveAll(dir)
			args := []string{"fn", "eval", "--exec", fnBin, "."}
			if render {
				args = []string{"fn", "render", "--allow-exec", "."}
			}
			st, _, err := execOnce(ctx, dir, kpt, args, nil)
			return st, err
		}
	}
	fnBin, noopBin := r.bin("authconfig-fn"), r.bin("krm-noop")
	var err error
	if res.EvalFn, res.EvalNoop, err = alternate(r.cfg.KptRuns, runOne(fnBin, false), runOne(noopBin, false)); err != nil {
		return nil, err
	}
	if res.RenderFn, res.RenderNoop, err = alternate(r.cfg.KptRuns, runOne(fnBin, true), runOne(noopBin, true)); err != nil {
		return nil, err
	}
	r.logf("kpt: eval fn %s noop %s (%.2f×); render fn %s noop %s (%.2f×)",
		res.EvalFn.Wall(), res.EvalNoop.Wall(), res.EvalRatio(), res.RenderFn.Wall(), res.RenderNoop.Wall(), res.RenderRatio())
	return res, nil
}
