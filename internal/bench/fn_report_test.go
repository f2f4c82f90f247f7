package bench

import (
	"strings"
	"testing"
	"time"
)

func series(wall time.Duration, rssKiB int64) Series {
	return Series{Runs: []RunStat{{Wall: wall, CPU: wall, MaxRSS: rssKiB}}}
}

// TestFnVerdictsAndRender evaluates the issue-18 targets on made-up runs
// and renders the authconfig-fn, kustomize and kpt tables.
func TestFnVerdictsAndRender(t *testing.T) {
	empty := FnPoint{Label: "empty", Objects: 1, InputMB: 0.001, Fn: series(30*time.Millisecond, 25<<10), Floor: series(5*time.Millisecond, 10<<10)}
	f := &FnResult{Default: empty, Package: "example-offline.yaml", PackageObjects: 503, PackageMB: 8.7,
		Scaled: []FnPoint{
			{Label: "1×", Objects: 504, InputMB: 8.9, Fn: series(120*time.Millisecond, 40<<10), Floor: series(2800*time.Millisecond, 400<<10)},
			{Label: "10×", Objects: 5031, InputMB: 89, Fn: series(930*time.Millisecond, 300<<10), Floor: series(35*time.Second, 5<<20)},
		},
		Kustom: &KustomizeResult{Exec: series(14*time.Second, 0), Pre: series(3700*time.Millisecond, 0), Small: series(4*time.Second, 0), SmallSame: true, SmallTargets: 5},
		Kpt:    &KptResult{EvalFn: series(5*time.Second, 0), EvalNoop: series(6*time.Second, 0), RenderFn: series(5*time.Second, 0), RenderNoop: series(6*time.Second, 0)},
	}
	vs := verdicts(&Report{Fn: f})
	want := map[string]bool{"authconfig-fn ≥ 20×": true, "authconfig-fn peak RSS": false, "authconfig-fn cost per MB": true, "full Kubeflow kustomize": true}
	if len(vs) != len(want) {
		t.Fatalf("got %d verdicts, want %d: %+v", len(vs), len(want), vs)
	}
	for _, v := range vs {
		for prefix, met := range want {
			if strings.HasPrefix(v.Target, prefix) && v.Met != met {
				t.Errorf("%s (%s): met=%v, want %v", v.Target, v.Measured, v.Met, met)
			}
		}
	}
	out, err := Render(&Full{Report: &Report{Fn: f}, Verdicts: vs})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| 1× | 504 |", "23.3×", "| function in a small kustomization |", "1.08×", "| `kpt fn render` |"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("the report lacks %q:\n%s", s, out)
		}
	}
}
