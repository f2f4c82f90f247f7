package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/process"
	"meshauth.dev/meshauth/generators"
)

func render(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("render", stderr)
	file := fs.String("f", "", "AuthConfig file (- for stdin); the embedded Kubeflow default when empty")
	out := fs.String("o", "components", "folder to write the components into")
	helm := addHelmFlags(fs)
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	doc, err := readConfig(*file, stdin)
	if err != nil {
		return err
	}
	if *helm.dir != "" {
		return renderHelm(helm, doc, stdout, stderr)
	}
	files, results, err := Render(doc)
	report(stderr, results)
	if err != nil {
		return err
	}
	if err := writeFiles(*out, files); err != nil {
		return err
	}
	printTree(stdout, *out, files)
	return nil
}

// Render runs the function in components mode over an AuthConfig alone and
// returns the files it writes, keyed by path relative to the output folder.
func Render(doc []byte) (map[string]string, fn.Results, error) {
	// The file is checked as validate checks it, so problems carry the
	// file's own line numbers and both commands say the same.
	if _, errs := api.Load(doc); len(errs) > 0 {
		return nil, process.FieldResults(errs, nil), errReported
	}
	cfg, err := fn.ParseKubeObject(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("the AuthConfig is not a Kubernetes object: %v", err)
	}
	rl := &fn.ResourceList{FunctionConfig: cfg}
	ok, _ := process.Processor{ComponentsDir: ".", Mode: process.Components}.Process(rl)
	if !ok {
		return nil, rl.Results, errReported
	}
	files := map[string]string{}
	for _, it := range rl.Items {
		n := it.CopyToResourceNode()
		p := n.GetAnnotations()["config.kubernetes.io/path"]
		if p == "" {
			continue
		}
		text, err := fileText(n)
		if err != nil {
			return nil, rl.Results, err
		}
		if prev, ok := files[p]; ok {
			text = prev + "---\n" + text
		}
		files[p] = text
	}
	return files, rl.Results, nil
}

// fileText drops the orchestration annotations a file on disk does not carry.
func fileText(n *yaml.RNode) (string, error) {
	for _, a := range []string{"config.kubernetes.io/path", "internal.config.kubernetes.io/path", "config.kubernetes.io/index", "internal.config.kubernetes.io/index"} {
		if _, err := n.Pipe(yaml.ClearAnnotation(a)); err != nil {
			return "", err
		}
	}
	if err := dropEmpty(n, "metadata", "annotations"); err != nil {
		return "", err
	}
	if err := dropEmpty(n, "metadata"); err != nil {
		return "", err
	}
	return n.String()
}

// writeFiles replaces the component folders under dir with the new files;
// nothing is touched before every file is ready.
func writeFiles(dir string, files map[string]string) error {
	for _, name := range generators.Names {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return writeTree(dir, files)
}

// writeTree writes files (slash paths under dir → content), in path order.
func writeTree(dir string, files map[string]string) error {
	for _, p := range sortedPaths(files) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printTree(w io.Writer, dir string, files map[string]string) {
	fmt.Fprintf(w, "%s/\n", strings.TrimSuffix(dir, "/"))
	last := ""
	for _, p := range sortedPaths(files) {
		folder, name := filepath.Split(p)
		if folder != last {
			fmt.Fprintf(w, "  %s\n", folder)
			last = folder
		}
		fmt.Fprintf(w, "    %s\n", name)
	}
}

func sortedPaths(files map[string]string) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// report prints results the way a user reads them: errors with their field.
func report(w io.Writer, results fn.Results) {
	for _, r := range results {
		if r.Severity == fn.Info {
			continue
		}
		field := ""
		if r.Field != nil && r.Field.Path != "" {
			field = r.Field.Path + ": "
		}
		fmt.Fprintf(w, "%s: %s%s\n", r.Severity, field, r.Message)
	}
}

// dropEmpty removes the field at path when it is an empty mapping.
func dropEmpty(n *yaml.RNode, path ...string) error {
	f, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || f == nil || len(f.YNode().Content) > 0 {
		return err
	}
	parent, err := n.Pipe(yaml.Lookup(path[:len(path)-1]...))
	if err != nil || parent == nil {
		return err
	}
	_, err = parent.Pipe(yaml.Clear(path[len(path)-1]))
	return err
}
