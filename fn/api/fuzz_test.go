package api

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: no document makes the decoder panic, report nothing for a
// broken document, or report an error without a path.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/bad/*.yaml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte("spec: {publicURL: https://a.example.com, publicURL: x}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, errs := Load(doc)
		for _, e := range errs {
			if e.Path == "" || e.Message == "" {
				t.Fatalf("an error without a path or message: %#v", e)
			}
		}
		if len(errs) == 0 && c.Spec.PublicURL == "" {
			t.Fatalf("accepted an AuthConfig without publicURL:\n%s", doc)
		}
	})
}

// BenchmarkLoad: decode + default + validate of a typical AuthConfig, and of
// one with every kind of problem.
func BenchmarkLoad(b *testing.B) {
	for name, file := range map[string]string{
		"valid":       "../../overlays/m2m/authconfig.yaml",
		"every-error": "../../testdata/bad/60-every-problem-at-once.yaml",
	} {
		doc, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Load(doc)
			}
		})
	}
}
