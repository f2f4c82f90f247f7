package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/process"
	"meshauth.dev/meshauth/generators"
)

// smallLayout writes the full build the way the overlays and the README
// lay it out: auth/ is a kustomization of only the objects the function
// patches, with the function under transformers:, and the top
// kustomization lists it next to the rest of the package (less those
// objects and the ones a component provides). It returns how many objects
// auth/ holds.
func smallLayout(dir string, pkg *Package, authConfig []byte, provided map[string]bool, fnBin string) (int, error) {
	c, errs := api.Load(authConfig)
	if len(errs) > 0 {
		return 0, fmt.Errorf("the AuthConfig: %v", errs)
	}
	comps, err := generators.All(c)
	if err != nil {
		return 0, err
	}
	var targets []generators.Target
	for _, comp := range comps {
		for _, p := range comp.Patches {
			targets = append(targets, p.Target())
		}
	}
	var patched, rest []*yaml.RNode
	for _, n := range pkg.Nodes {
		switch {
		case matchesAny(targets, n):
			patched = append(patched, n)
		case !provided[process.Identity(n)]:
			rest = append(rest, n)
		}
	}
	cfg, err := yaml.Parse(string(authConfig))
	if err != nil {
		return 0, err
	}
	if err := cfg.PipeE(yaml.SetAnnotation("config.kubernetes.io/function", "exec:\n  path: "+fnBin+"\n")); err != nil {
		return 0, err
	}
	files := map[string]string{
		"kustomization.yaml":      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [rest.yaml, auth]\n",
		"auth/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [targets.yaml]\ntransformers: [authconfig.yaml]\n",
		"auth/authconfig.yaml":    cfg.MustString(),
	}
	for name, nodes := range map[string][]*yaml.RNode{"rest.yaml": rest, "auth/targets.yaml": patched} {
		var sb strings.Builder
		if err := (kio.ByteWriter{Writer: &sb}).Write(nodes); err != nil {
			return 0, err
		}
		files[name] = sb.String()
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return 0, err
		}
	}
	return len(patched), nil
}

func matchesAny(targets []generators.Target, n *yaml.RNode) bool {
	for _, t := range targets {
		if t.Matches(n) {
			return true
		}
	}
	return false
}
