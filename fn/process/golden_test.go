package process_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const casesDir = "../../testdata/cases"

// TestGolden runs every case in testdata/cases in both modes and compares
// the whole output ResourceList (items and results) with the golden file.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(casesDir, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in %s: %v", casesDir, err)
	}
	for _, dir := range dirs {
		for _, mode := range []process.Mode{process.Components, process.Resources} {
			t.Run(filepath.Base(dir)+"/"+string(mode), func(t *testing.T) {
				rl := caseInput(t, dir, mode)
				out := run(t, rl)
				golden(t, filepath.Join(dir, string(mode)+".golden.yaml"), out)
			})
		}
	}
}

// TestIdempotent feeds the function its own output: nothing may change.
func TestIdempotent(t *testing.T) {
	for _, dir := range validCases(t) {
		for _, mode := range []process.Mode{process.Components, process.Resources} {
			t.Run(filepath.Base(dir)+"/"+string(mode), func(t *testing.T) {
				first := caseInput(t, dir, mode)
				once := run(t, first)
				again, err := fn.ParseResourceList(once)
				if err != nil {
					t.Fatal(err)
				}
				again.Results = nil
				twice := run(t, again)
				if diff := cmp.Diff(string(once), string(twice)); diff != "" {
					t.Errorf("second run changed the output (-first +second):\n%s", diff)
				}
			})
		}
	}
}

// TestDeterministic renders the same input repeatedly and wants the same bytes.
func TestDeterministic(t *testing.T) {
	for _, dir := range validCases(t) {
		want := run(t, caseInput(t, dir, process.Components))
		for i := 0; i < 5; i++ {
			if got := run(t, caseInput(t, dir, process.Components)); string(got) != string(want) {
				t.Fatalf("%s: run %d differs:\n%s", dir, i, cmp.Diff(string(want), string(got)))
			}
		}
	}
}

func validCases(t *testing.T) []string {
	t.Helper()
	var out []string
	dirs, _ := filepath.Glob(filepath.Join(casesDir, "*"))
	for _, d := range dirs {
		if filepath.Base(d)[:min(7, len(filepath.Base(d)))] != "invalid" {
			out = append(out, d)
		}
	}
	return out
}

func run(t *testing.T, rl *fn.ResourceList) []byte {
	t.Helper()
	if _, err := (process.Processor{}).Process(rl); err != nil {
		t.Fatalf("Process returned a Go error (user problems must be results): %v", err)
	}
	out, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./fn/process -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); if intended, run go test ./fn/process -update and review:\n%s", path, diff)
	}
}
