package process_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/outputcheck"
	"meshauth.dev/meshauth/fn/process"
)

// FuzzProcess feeds the processor random AuthConfigs and package resources,
// seeded from the golden cases, in both modes. Whatever comes in, Process
// never panics and never returns a Go error; it either reports error results
// and leaves the items exactly as they came, or its output passes the output
// validation and a second run changes nothing. `make fuzz` runs it for
// FUZZTIME; `go test` runs the seeds.
func FuzzProcess(f *testing.F) {
	dirs, err := filepath.Glob(filepath.Join(casesDir, "*", "authconfig.yaml"))
	if err != nil || len(dirs) == 0 {
		f.Fatalf("no golden cases in %s: %v", casesDir, err)
	}
	pkg, err := os.ReadFile(filepath.Join(casesDir, "kubeflow-package", "resources.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range dirs {
		cfg, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		res, _ := os.ReadFile(filepath.Join(filepath.Dir(file), "resources.yaml"))
		f.Add(cfg, res, false)
		f.Add(cfg, res, true)
		if res == nil {
			f.Add(cfg, pkg, false)
		}
	}
	f.Fuzz(func(t *testing.T, authConfig, resources []byte, resourcesMode bool) {
		mode := process.Components
		if resourcesMode {
			mode = process.Resources
		}
		rl, ok := fuzzInput(authConfig, resources, mode)
		if !ok {
			return // not objects at all: the orchestrator refuses the list before the function runs
		}
		before := itemsText(t, rl.Items)
		beforeConfig := rl.FunctionConfig.String()

		succeeded, err := (process.Processor{}).Process(rl)
		if err != nil {
			t.Fatalf("Process returned a Go error (user problems must be results): %v", err)
		}
		if failed := rl.Results.ExitCode() != 0; failed == succeeded {
			t.Fatalf("Process said ok=%v but the results say otherwise:\n%v", succeeded, rl.Results)
		}
		if rl.FunctionConfig.String() != beforeConfig {
			t.Errorf("the function config was changed")
		}
		if !succeeded {
			if diff := cmp.Diff(before, itemsText(t, rl.Items)); diff != "" {
				t.Fatalf("error results but the items changed (-in +out):\n%s\nresults:\n%v", diff, rl.Results)
			}
			return
		}
		// Everything the function created or changed passes the validation.
		orig := map[string]int{}
		for _, s := range before {
			orig[s]++
		}
		var produced []*yaml.RNode
		for i, s := range itemsText(t, rl.Items) {
			if orig[s] > 0 {
				orig[s]--
				continue
			}
			produced = append(produced, rl.Items[i].CopyToResourceNode())
		}
		if problems := outputcheck.Objects(produced); len(problems) > 0 {
			t.Fatalf("the output is invalid: %v", problems)
		}
		// A second run over the output changes nothing.
		once, err := rl.ToYAML()
		if err != nil {
			t.Fatal(err)
		}
		again, err := fn.ParseResourceList(once)
		if err != nil {
			t.Fatalf("the output does not parse as a ResourceList: %v", err)
		}
		again.Results = nil
		if _, err := (process.Processor{}).Process(again); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(canonical(t, rl), canonical(t, again)); diff != "" {
			t.Fatalf("a second run changed the output (-first +second):\n%s", diff)
		}
	})
}

// canonical is the list's items and results in an order that does not
// depend on how the SDK's unstable sort placed two items of one identity
// (the package may hold duplicates, e.g. a second copy of the AuthConfig).
func canonical(t *testing.T, rl *fn.ResourceList) []string {
	t.Helper()
	out := itemsText(t, rl.Items)
	sort.Strings(out)
	for _, r := range rl.Results {
		out = append(out, r.String())
	}
	return out
}

// fuzzInput builds the ResourceList kpt or kustomize would send, as
// caseInput does; ok is false when the bytes are not Kubernetes objects.
func fuzzInput(authConfig, resources []byte, mode process.Mode) (*fn.ResourceList, bool) {
	cfg, err := fn.ParseKubeObject(authConfig)
	if err != nil {
		return nil, false
	}
	var items fn.KubeObjects
	if len(resources) > 0 {
		if items, err = fn.ParseKubeObjects(resources); err != nil {
			return nil, false
		}
	}
	set := func(o *fn.KubeObject, kv ...string) bool {
		for i := 0; i < len(kv); i += 2 {
			if o.SetAnnotation(kv[i], kv[i+1]) != nil {
				return false
			}
		}
		return true
	}
	switch mode {
	case process.Components:
		if !set(cfg, "config.kubernetes.io/path", "authconfig.yaml", "internal.config.kubernetes.io/path", "authconfig.yaml") {
			return nil, false
		}
		for i, it := range items {
			if !set(it, "config.kubernetes.io/path", "resources.yaml", "internal.config.kubernetes.io/path", "resources.yaml",
				"config.kubernetes.io/index", fmt.Sprint(i), "internal.config.kubernetes.io/index", fmt.Sprint(i)) {
				return nil, false
			}
		}
		item, err := fn.ParseKubeObject([]byte(cfg.String()))
		if err != nil {
			return nil, false
		}
		items = append(fn.KubeObjects{item}, items...)
	case process.Resources:
		if !set(cfg, "config.kubernetes.io/function", "exec:\n  path: authconfig-fn\n") {
			return nil, false
		}
	}
	return &fn.ResourceList{Items: items, FunctionConfig: cfg}, true
}

func itemsText(t *testing.T, items fn.KubeObjects) []string {
	t.Helper()
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.String()
	}
	return out
}
