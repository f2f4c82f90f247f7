package main

import (
	"errors"
	"strings"
	"testing"

	"meshauth.dev/meshauth/e2e/istiod/xdsgen"
)

// failingWriter takes n bytes, then fails: a full disk or a closed pipe.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("no space left on device")
	}
	w.n -= len(p)
	return len(p), nil
}

// A write that fails — in the JSON encoder or only when the buffer is
// flushed at the end — is an error that says why, never a cut output
// passed off as whole.
func TestWriteOutputReportsFailedWrites(t *testing.T) {
	res := &xdsgen.Result{Messages: []xdsgen.Message{{Severity: xdsgen.SeverityWarning, Object: "o", Message: "m"}}}
	for name, room := range map[string]int{"nothing written": 0, "cut at the flush": 10} {
		t.Run(name, func(t *testing.T) {
			err := writeOutput(res, "", &failingWriter{n: room})
			if err == nil || !strings.Contains(err.Error(), "no space left on device") {
				t.Fatalf("writeOutput = %v, want the writer's error", err)
			}
		})
	}
	var whole strings.Builder
	if err := writeOutput(res, "", &whole); err != nil || !strings.Contains(whole.String(), `"m"`) {
		t.Fatalf("writeOutput to a working writer = %v, %q", err, whole.String())
	}
}
