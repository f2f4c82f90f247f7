package process_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/process"
	"meshauth.dev/meshauth/internal/bench"
)

// sdkRun is the function as fn.Execute runs it: the reference output.
func sdkRun(in []byte) (out []byte, failed bool) {
	var b bytes.Buffer
	err := fn.Execute(process.Processor{}, bytes.NewReader(in), &b)
	return b.Bytes(), err != nil
}

// fastRun is the fast path; handled false means it left the list to the SDK.
func fastRun(t testing.TB, in []byte) (out []byte, failed, handled bool) {
	var b bytes.Buffer
	_, ok, handled, err := process.Processor{}.Fast(in, &b)
	if err != nil {
		t.Fatalf("fast path: %v", err)
	}
	if !handled && b.Len() > 0 {
		t.Fatalf("the fast path wrote output and then left the list to the SDK path")
	}
	return b.Bytes(), !ok, handled
}

// sameAsSDK checks the fast path against fn.Execute on one input and
// returns whether the fast path took it.
func sameAsSDK(t testing.TB, in []byte) bool {
	t.Helper()
	want, wantFailed := sdkRun(in)
	got, gotFailed, handled := fastRun(t, in)
	if !handled {
		return false
	}
	if gotFailed != wantFailed {
		t.Errorf("fast path failed=%v, SDK path failed=%v", gotFailed, wantFailed)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("fast path output differs from the SDK path's (-sdk +fast):\n%s", diff)
	}
	return true
}

// listBytes is the ResourceList as kustomize and kpt write it (kyaml).
func listBytes(t testing.TB, rl *fn.ResourceList) []byte {
	t.Helper()
	var nodes []*yaml.RNode
	for _, it := range rl.Items {
		n, err := yaml.Parse(it.String())
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	fc, err := yaml.Parse(rl.FunctionConfig.String())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := kio.ByteWriter{Writer: &b, KeepReaderAnnotations: true, FunctionConfig: fc,
		WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}
	if err := w.Write(nodes); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fastInputs is every list the repository has: the golden cases and the
// overlays in both modes, and the Kubeflow corpus (when present) as kpt
// and as kustomize send it.
func fastInputs(t *testing.T) map[string][]byte {
	t.Helper()
	in := map[string][]byte{}
	dirs, _ := filepath.Glob(filepath.Join(casesDir, "*"))
	for _, dir := range dirs {
		for _, mode := range []process.Mode{process.Components, process.Resources} {
			in["case/"+filepath.Base(dir)+"/"+string(mode)] = listBytes(t, caseInput(t, dir, mode))
		}
	}
	overlays, _ := filepath.Glob(filepath.Join("..", "..", "overlays", "*", "authconfig.yaml"))
	for _, cfg := range overlays {
		dir := filepath.Dir(cfg)
		ups, _ := filepath.Glob(filepath.Join(dir, "upstream", "*.yaml"))
		var res []byte
		for i, u := range ups {
			b, err := os.ReadFile(u)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				res = append(res, "\n---\n"...)
			}
			res = append(res, b...)
		}
		tmp := t.TempDir()
		c, _ := os.ReadFile(cfg)
		os.WriteFile(filepath.Join(tmp, "authconfig.yaml"), c, 0o644)
		os.WriteFile(filepath.Join(tmp, "resources.yaml"), res, 0o644)
		for _, mode := range []process.Mode{process.Components, process.Resources} {
			in["overlay/"+filepath.Base(dir)+"/"+string(mode)] = listBytes(t, caseInput(t, tmp, mode))
		}
	}
	if data, err := os.ReadFile(corpusPath); err == nil {
		cfg, err := os.ReadFile(filepath.Join("..", "cli", "kubeflow.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		pkg, err := bench.ParsePackage(filepath.Base(corpusPath), data)
		if err != nil {
			t.Fatal(err)
		}
		rl, _, err := bench.NewResourceList(pkg, cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		in["corpus/kpt"] = rl
		tmp := t.TempDir()
		os.WriteFile(filepath.Join(tmp, "authconfig.yaml"), cfg, 0o644)
		os.WriteFile(filepath.Join(tmp, "resources.yaml"), data, 0o644)
		in["corpus/kustomize"] = listBytes(t, caseInput(t, tmp, process.Resources))
	}
	return in
}

// TestFastSameAsSDK runs both paths on every input the repository has and
// wants the same bytes; every one of them must take the fast path, or the
// comparison would prove nothing.
func TestFastSameAsSDK(t *testing.T) {
	for name, in := range fastInputs(t) {
		t.Run(name, func(t *testing.T) {
			if !sameAsSDK(t, in) {
				t.Errorf("the fast path refused a list kyaml wrote")
			}
			// The same list in flow style: the fast path decodes such
			// items (or refuses the list) and must still match.
			sameAsSDK(t, flowForm(t, in))
		})
	}
}

// flowForm is the same list with every item and the function config in
// flow style (what a JSON writer or a hand-written list looks like).
func flowForm(t testing.TB, in []byte) []byte {
	rl, err := fn.ParseResourceList(in)
	if err != nil {
		t.Fatalf("%v\n%s", err, in)
	}
	var nodes []*yaml.RNode
	for _, it := range rl.Items {
		n, err := yaml.Parse(it.String())
		if err != nil {
			t.Fatal(err)
		}
		setFlow(n.YNode())
		nodes = append(nodes, n)
	}
	fc, _ := yaml.Parse(rl.FunctionConfig.String())
	var b bytes.Buffer
	w := kio.ByteWriter{Writer: &b, KeepReaderAnnotations: true, FunctionConfig: fc,
		WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}
	if err := w.Write(nodes); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func setFlow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		setFlow(c)
	}
}
