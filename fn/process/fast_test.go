package process_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

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
func listBytes(t testing.TB, rl *fn.ResourceList) []byte { return restyled(t, rl, nil) }

// restyled writes the list with restyle applied to every item first.
func restyled(t testing.TB, rl *fn.ResourceList, restyle func(*yaml.Node)) []byte {
	t.Helper()
	var nodes []*yaml.RNode
	for _, it := range rl.Items {
		n, err := yaml.Parse(it.String())
		if err != nil {
			t.Fatal(err)
		}
		if restyle != nil {
			restyle(n.YNode())
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

// flowForm is the same list with every item in flow style (what a JSON
// writer or a hand-written list looks like).
func flowForm(t testing.TB, in []byte) []byte {
	rl, err := fn.ParseResourceList(in)
	if err != nil {
		t.Fatalf("%v\n%s", err, in)
	}
	return restyled(t, rl, setFlow)
}

func setFlow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		setFlow(c)
	}
}

// smallList is the default case as kpt sends it, with one extra item.
func smallList(t testing.TB) []byte {
	t.Helper()
	rl := caseInput(t, filepath.Join(casesDir, "kubeflow-package"), process.Components)
	return listBytes(t, rl)
}

// TestFastRefuses feeds the fast path each shape its scanner does not
// prove and wants it to leave the list to the SDK path (nothing written),
// or, where it decodes the odd item alone, the SDK path's very bytes.
func TestFastRefuses(t *testing.T) {
	base := string(smallList(t))
	first := strings.Index(base, "\n- ") + 1
	second := strings.Index(base[first+1:], "\n- ") + first + 2
	fcAt := strings.Index(base, "\nfunctionConfig:\n") + 1
	item := func(s string) string { return base[:second] + s + base[second:] }
	cases := []struct {
		name   string
		in     string
		refuse bool // must not take the fast path at all
	}{
		{"flow-style list (JSON)", string(jsonList(t, []byte(base))), true},
		{"anchor in one item, alias in another", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata: &m\n    name: a\n" +
			"- apiVersion: v1\n  kind: Secret\n  metadata: *m\n"), true},
		{"wide sequence indent read from the first entry", wide(base), true},
		{"column-0 comment between items", item("# belongs to no item\n"), true},
		{"multi-line double-quoted string with a line that looks like an item start",
			item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    k: \"one\n- two\"\n"), true},
		{"multi-line plain string", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    k: one\n      two\n"), false},
		{"flow-style item", item("- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"), false},
		{"odd indentation inside an item", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n      name: a\n"), false},
		{"kpt's `- # comment` first line", item("- # a comment on the item\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n"), false},
		{"indented comment ending an item", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  # whose comment?\n"), true},
		{"function config in flow style", base[:fcAt] + "functionConfig: {apiVersion: meshauth.dev/v1alpha1, kind: AuthConfig, metadata: {name: x}}\n", true},
		{"no function config", base[:fcAt], true},
		{"function config before the items", base[:strings.Index(base, "items:\n")] + base[fcAt:] + base[strings.Index(base, "items:\n"):fcAt], false},
		{"results already in the list", base + "results:\n- message: hi\n  severity: info\n", true},
		{"document marker", "---\n" + base, true},
		{"CRLF line ends", strings.ReplaceAll(base, "\n", "\r\n"), true},
		{"a repeated key inside an item (the SDK keeps both)", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    k: a\n    k: b\n"), false},
		{"a repeated header key", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    name: b\n"), false},
		{"tab inside an item", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    k: \"a\tb\"\n"), false},
		{"malformed: unterminated quote", item("- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: 'a\n"), true},
		{"malformed: bad indentation", item("- apiVersion: v1\n kind: ConfigMap\n"), true},
		{"malformed: not a mapping", item("- just a string\n"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			if c.refuse {
				if _, _, handled := fastRun(t, in); handled {
					t.Errorf("the fast path took a list it must leave to the SDK path:\n%s", firstLines(in, 12))
				}
				return
			}
			want, _ := sdkRun(in)
			got, _, handled := fastRun(t, in)
			if handled && !bytes.Equal(want, got) {
				t.Errorf("fast path output differs from the SDK path's:\n%s", cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// wide indents the items by two more columns ("items:\n  - ...").
func wide(list string) string {
	start := strings.Index(list, "items:\n") + len("items:\n")
	end := strings.Index(list, "functionConfig:\n")
	lines := strings.SplitAfter(list[start:end], "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return list[:start] + strings.Join(lines, "") + list[end:]
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// jsonList is the list as one JSON document.
func jsonList(t testing.TB, in []byte) []byte {
	j, err := sigsyaml.YAMLToJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	return append(j, '\n')
}

// FuzzFastSameAsSDK feeds both paths the same bytes: when the fast path
// takes a list, its output is the SDK path's, byte for byte.
func FuzzFastSameAsSDK(f *testing.F) {
	base := smallListF(f)
	f.Add(base)
	f.Add(flowForm(f, base))
	f.Add(jsonList(f, base))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantFailed, panicked := sdkRunSafe(in)
		got, gotFailed, handled := fastRun(t, in)
		if !handled {
			return
		}
		if panicked {
			t.Fatalf("the fast path took a list the SDK path cannot read")
		}
		if gotFailed != wantFailed || !bytes.Equal(want, got) {
			t.Fatalf("fast (failed=%v) and SDK (failed=%v) differ:\n%s", gotFailed, wantFailed, cmp.Diff(string(want), string(got)))
		}
	})
}

// FuzzFastBlockAndFlow puts one object into the list twice over: in block
// style (as kyaml writes it: the fast path copies it) and in flow style
// (the fast path decodes it or refuses the list); both must match the SDK.
func FuzzFastBlockAndFlow(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: \"x\\ty\"\n  l: |\n    one\n     two\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: n\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        args: [--a, '-b', \"c: d\"]\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 'it''s'\n  annotations: {}\ndata: {k: ~, e: '', t: 'true', n: 012, u: é}\n",
	} {
		f.Add([]byte(s))
	}
	base := smallListF(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		obj, err := fn.ParseKubeObject(doc)
		if err != nil {
			return
		}
		rl, err := fn.ParseResourceList(base)
		if err != nil {
			t.Fatal(err)
		}
		rl.Items = append(rl.Items, obj)
		block := listBytes(t, rl)
		for _, in := range [][]byte{block, flowForm(t, block)} {
			want, wantFailed, panicked := sdkRunSafe(in)
			got, gotFailed, handled := fastRun(t, in)
			if !handled || panicked {
				continue
			}
			if gotFailed != wantFailed || !bytes.Equal(want, got) {
				t.Fatalf("fast (failed=%v) and SDK (failed=%v) differ on\n%s\n%s", gotFailed, wantFailed, doc, cmp.Diff(string(want), string(got)))
			}
		}
	})
}

func smallListF(f *testing.F) []byte {
	return smallList(f)
}

// sdkRunSafe is sdkRun that survives the SDK's own panics (kyaml's
// MustString) on inputs a fuzzer makes up.
func sdkRunSafe(in []byte) (out []byte, failed, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	out, failed = sdkRun(in)
	return out, failed, false
}

// TestFastRefusalsAreReadable makes sure the refusal cases are lists the
// SDK path reads (or refuses as malformed, as named), so that refusing them
// is the fast path's doing and not the input's.
func TestFastRefusalsAreReadable(t *testing.T) {
	base := smallList(t)
	for name, in := range map[string]string{"wide": wide(string(base)), "json": string(jsonList(t, base))} {
		if _, failed := sdkRun([]byte(in)); failed {
			t.Errorf("%s: the SDK path fails on it", name)
		}
		if want, _ := sdkRun(base); !bytes.Equal(want, func() []byte { b, _ := sdkRun([]byte(in)); return b }()) && name == "wide" {
			t.Errorf("%s: the SDK path writes it differently from the compact list", name)
		}
	}
}
