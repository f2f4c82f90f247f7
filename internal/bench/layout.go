package bench

import (
	"bytes"
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

// kustomizationHead starts every kustomization.yaml the layouts write.
const kustomizationHead = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"

// execLayout writes the package with the function as an exec transformer.
func execLayout(dir string, corpus, authConfig []byte, fnBin string) error {
	cfg, err := execAuthConfig(authConfig, fnBin)
	if err != nil {
		return err
	}
	return writeFiles(dir, map[string]string{
		"kubeflow.yaml":      string(corpus),
		"authconfig.yaml":    cfg,
		"kustomization.yaml": kustomizationHead + "resources: [kubeflow.yaml]\ntransformers: [authconfig.yaml]\n",
	})
}

// preRenderedLayout writes the package with the checked-in components
// (copied from compDir) in the function's place. The package's own objects
// that a component provides (Kubeflow's oauth2-proxy install) are left out,
// as a user adopting the components would; it returns their identities.
func preRenderedLayout(dir, compDir string, pkg *Package) (map[string]bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(compDir)
	if err != nil {
		return nil, err
	}
	provided := map[string]bool{}
	var comps []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		src := filepath.Join(compDir, e.Name())
		if err := os.CopyFS(filepath.Join(dir, "components", e.Name()), os.DirFS(src)); err != nil {
			return nil, err
		}
		comps = append(comps, "components/"+e.Name())
		if err := addIdentities(provided, src); err != nil {
			return nil, err
		}
	}
	var kept []*yaml.RNode
	for _, n := range pkg.Nodes {
		if !provided[process.Identity(n)] {
			kept = append(kept, n)
		}
	}
	stream, err := yamlStream(kept)
	if err != nil {
		return nil, err
	}
	return provided, writeFiles(dir, map[string]string{
		"kubeflow.yaml":      stream,
		"kustomization.yaml": kustomizationHead + "resources: [kubeflow.yaml]\ncomponents: [" + strings.Join(comps, ", ") + "]\n",
	})
}

// addIdentities adds the identity of every object of the component in dir.
func addIdentities(ids map[string]bool, dir string) error {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(b), OmitReaderAnnotations: true}).Read()
		if err != nil {
			return err
		}
		for _, n := range nodes {
			ids[process.Identity(n)] = true
		}
	}
	return nil
}

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
	cfg, err := execAuthConfig(authConfig, fnBin)
	if err != nil {
		return 0, err
	}
	files := map[string]string{
		"kustomization.yaml":      kustomizationHead + "resources: [rest.yaml, auth]\n",
		"auth/kustomization.yaml": kustomizationHead + "resources: [targets.yaml]\ntransformers: [authconfig.yaml]\n",
		"auth/authconfig.yaml":    cfg,
	}
	for name, nodes := range map[string][]*yaml.RNode{"rest.yaml": rest, "auth/targets.yaml": patched} {
		if files[name], err = yamlStream(nodes); err != nil {
			return 0, err
		}
	}
	if err := writeFiles(dir, files); err != nil {
		return 0, err
	}
	return len(patched), nil
}

// execAuthConfig is the AuthConfig with the annotation that makes it a
// kustomize exec function running fnBin.
func execAuthConfig(authConfig []byte, fnBin string) (string, error) {
	cfg, err := yaml.Parse(string(authConfig))
	if err != nil {
		return "", err
	}
	if err := cfg.PipeE(yaml.SetAnnotation("config.kubernetes.io/function", "exec:\n  path: "+fnBin+"\n")); err != nil {
		return "", err
	}
	return cfg.MustString(), nil
}

// yamlStream is the nodes as one YAML stream.
func yamlStream(nodes []*yaml.RNode) (string, error) {
	var sb strings.Builder
	if err := (kio.ByteWriter{Writer: &sb}).Write(nodes); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// writeFiles writes each file (by its path under dir), making directories.
func writeFiles(dir string, files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func matchesAny(targets []generators.Target, n *yaml.RNode) bool {
	for _, t := range targets {
		if t.Matches(n) {
			return true
		}
	}
	return false
}
