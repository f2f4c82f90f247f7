package outputcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    []string // kind/name per object
		wantErr bool
	}{
		"multi document with empty ones": {
			in:   "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
			want: []string{"Namespace/a", "Namespace/b"},
		},
		"ResourceList is unwrapped": {
			in:   "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n",
			want: []string{"Namespace/a"},
		},
		"syntax error": {in: "a: [\n", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Parse([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Parse error = %v, wantErr %v", err, tc.wantErr)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDirNamesFilesAndSkipsHiddenDirs(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A kustomization.yaml without kind is still a Kustomization, named by
	// its file; .expected holds golden copies that must not be validated.
	write("comp/kustomization.yaml", "resources: [ns.yaml]\nbogus: 1\n")
	write("comp/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\nspec:\n  finalizer: []\n")
	write("comp/README.md", "not yaml: [")
	write(".expected/broken.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\nnope: 1\n")

	got, err := Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{Object: "Kustomization comp/kustomization.yaml", Field: "bogus", Message: "unknown field"},
		{Object: "Namespace a", Field: "spec.finalizer", Message: "unknown field"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Dir (-want +got):\n%s", diff)
	}
}

func TestDirReportsUnparsableFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("a: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir(dir); err == nil {
		t.Error("Dir succeeded on a file that is not YAML")
	}
}

func TestReadDirLeavesOutJSONPatchFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "patch.yaml"), []byte("- op: add\n  path: /a\n  value: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := ReadDir(dir)
	if err != nil || len(objs) != 0 {
		t.Errorf("ReadDir = %d objects, %v; want none", len(objs), err)
	}
}
