package process_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
	"meshauth.dev/meshauth/internal/bench"
)

// corpusPath is the 503-object Kubeflow package (example/ without pipelines
// and trainer), shared with the other worktrees; benchmarks skip without it.
// It sits next to the main checkout, which is one level up from a worktree.
var corpusPath = func() string {
	rel := filepath.Join("shared", "corpus", "kubeflow-manifests", "example-offline.yaml")
	for _, up := range []string{"../../..", "../../../.."} {
		if p := filepath.Join(up, rel); fileExists(p) {
			return p
		}
	}
	return filepath.Join("../../..", rel)
}()

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// benchInput is the ResourceList kpt sends: the default AuthConfig as
// function config and item, plus `copies` copies of the corpus (0 = none).
func benchInput(b *testing.B, copies int) []byte {
	b.Helper()
	cfg, err := os.ReadFile(filepath.Join("..", "cli", "kubeflow.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	pkg := &bench.Package{Name: "none.yaml"}
	if copies > 0 {
		data, err := os.ReadFile(corpusPath)
		if err != nil {
			b.Skipf("corpus not available: %v", err)
		}
		if pkg, err = bench.ParsePackage(filepath.Base(corpusPath), data); err != nil {
			b.Fatal(err)
		}
	}
	rl, _, err := bench.NewResourceList(pkg, cfg, copies)
	if err != nil {
		b.Fatal(err)
	}
	return rl
}

var benchInputs = []struct {
	name   string
	copies int
}{{"default", 0}, {"kubeflow-503", 1}}

// BenchmarkProcess is the processor alone on a parsed ResourceList.
func BenchmarkProcess(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			data := benchInput(b, in.copies)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				rl, err := fn.ParseResourceList(data)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if ok, err := (process.Processor{}).Process(rl); !ok || err != nil {
					b.Fatalf("Process: ok=%v err=%v results=%v", ok, err, rl.Results)
				}
			}
		})
	}
}

// BenchmarkExecute is the whole KRM function (parse, process, write), next
// to the no-op function built on the same SDK (the floor).
func BenchmarkExecute(b *testing.B) {
	noop := fn.ResourceListProcessorFunc(func(*fn.ResourceList) (bool, error) { return true, nil })
	for _, in := range benchInputs {
		for _, f := range []struct {
			name string
			p    fn.ResourceListProcessor
		}{{"authconfig-fn", process.Processor{}}, {"noop", noop}} {
			b.Run(in.name+"/"+f.name, func(b *testing.B) {
				data := benchInput(b, in.copies)
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if err := fn.Execute(f.p, bytes.NewReader(data), io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFast is the fast path (fast.go) on the same inputs, output
// discarded: what authconfig-fn does after reading stdin.
func BenchmarkFast(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			data := benchInput(b, in.copies)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			p := process.Processor{}
			for b.Loop() {
				if _, ok, handled, err := p.Fast(data, io.Discard); !ok || !handled || err != nil {
					b.Fatalf("Fast: ok=%v handled=%v err=%v", ok, handled, err)
				}
			}
		})
	}
}
