package process_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/process"
)

// TestUntouchedItemsAreNotValidated runs the function over a package that
// repeats an object it neither creates nor patches. Only what the function
// changed is its to validate: the user's own duplicate is kustomize's
// business, and must not turn into "generated output is invalid (a meshauth
// bug)". Both modes, since both share the stream.
func TestUntouchedItemsAreNotValidated(t *testing.T) {
	dup := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n  namespace: user\ndata:\n  a: b\n"
	for _, mode := range []process.Mode{process.Resources, process.Components} {
		t.Run(string(mode), func(t *testing.T) {
			rl := caseInput(t, filepath.Join(casesDir, "kubeflow-package"), mode)
			for range 2 {
				o, err := fn.ParseKubeObject([]byte(dup))
				if err != nil {
					t.Fatal(err)
				}
				rl.Items = append(rl.Items, o)
			}
			ok, err := (process.Processor{}).Process(rl)
			if err != nil || !ok {
				t.Fatalf("ok=%v err=%v results:\n%s", ok, err, rl.Results)
			}
			n := 0
			for _, o := range rl.Items {
				if o.GetName() == "twice" {
					n++
				}
			}
			if n != 2 {
				t.Errorf("the user's two ConfigMaps became %d", n)
			}
			for _, r := range rl.Results {
				if strings.Contains(r.Message, "twice") {
					t.Errorf("a result about an object the function does not touch: %s", r.Message)
				}
			}
		})
	}
}
