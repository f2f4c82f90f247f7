package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"
)

// object is one YAML document found under the render directory: a resource
// file, a patch file, or an inline strategic-merge patch of a kustomization.
type object struct {
	where string // file (and "patches[i]" for inline patches)
	patch bool   // a patch, not a resource
	m     map[string]any
}

func (o object) apiVersion() string { return str(o.m, "apiVersion") }
func (o object) kind() string       { return str(o.m, "kind") }
func (o object) namespace() string  { return str(o.m, "metadata", "namespace") }
func (o object) name() string       { return str(o.m, "metadata", "name") }
func (o object) String() string {
	return fmt.Sprintf("%s %s %s/%s (%s)", o.apiVersion(), o.kind(), o.namespace(), o.name(), o.where)
}

// jsonPatch is a JSON6902 patch of a kustomization, with its target.
type jsonPatch struct {
	where  string
	target map[string]any
	ops    []map[string]any
}

// rendered is the output of `authconfig-fn render -o DIR`.
type rendered struct {
	dir         string
	objects     []object
	jsonPatches []jsonPatch
}

// authConfigFile writes ac to authconfig.yaml in a fresh temporary
// folder, for `authconfig-fn render -f`.
func authConfigFile(t testing.TB, ac map[string]any) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	b, err := yaml.Marshal(ac)
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "authconfig.yaml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// renderAuthConfig writes ac to a file and runs `authconfig-fn render` on it.
// A non-nil error carries the function's output (validation errors).
func renderAuthConfig(t testing.TB, ctx context.Context, ac map[string]any) (*rendered, error) {
	t.Helper()
	fnBin := binary(t, "authconfig-fn")
	dir, in := authConfigFile(t, ac)
	out := filepath.Join(dir, "out")
	if msg, code := run(ctx, 30*time.Second, fnBin, []string{"render", "-f", in, "-o", out}, nil); code != 0 {
		// A refused AuthConfig must leave nothing behind to apply.
		var wrote []string
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				wrote = append(wrote, p)
			}
			return nil
		})
		if len(wrote) > 0 {
			t.Errorf("authconfig-fn render failed but wrote %v", wrote)
		}
		return nil, fmt.Errorf("authconfig-fn render exited %d:\n%s", code, msg)
	}
	mutate(t, out)
	r := &rendered{dir: out}
	err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		return r.load(p)
	})
	if err != nil {
		t.Fatalf("reading the rendered components: %v", err)
	}
	if len(r.objects) == 0 {
		t.Fatalf("authconfig-fn render wrote no objects under %s", out)
	}
	return r, nil
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

func splitDocs(b string) []string {
	var out []string
	for _, d := range docSep.Split(b, -1) {
		if strings.TrimSpace(d) != "" {
			out = append(out, d)
		}
	}
	return out
}

func (r *rendered) load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(r.dir, path)
	for _, d := range splitDocs(string(b)) {
		var v any
		if err := yaml.Unmarshal([]byte(d), &v); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		switch v := v.(type) {
		case []any: // a JSON6902 patch file; its target is in the kustomization
			continue
		case map[string]any:
			kind, _ := v["kind"].(string)
			if kind == "Kustomization" || kind == "Component" {
				if err := r.loadKustomization(filepath.Dir(path), rel, v); err != nil {
					return err
				}
				continue
			}
			r.objects = append(r.objects, object{where: rel, patch: r.isPatchFile(path), m: v})
		}
	}
	return nil
}

// isPatchFile reports whether a kustomization in the same directory lists
// path as a patch (not a resource).
func (r *rendered) isPatchFile(path string) bool {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			continue
		}
		var k map[string]any
		if yaml.Unmarshal(b, &k) != nil {
			continue
		}
		base := filepath.Base(path)
		for _, key := range []string{"patches", "patchesStrategicMerge"} {
			l, _ := k[key].([]any)
			for _, e := range l {
				switch e := e.(type) {
				case string:
					if e == base {
						return true
					}
				case map[string]any:
					if e["path"] == base {
						return true
					}
				}
			}
		}
	}
	return false
}

func (r *rendered) loadKustomization(dir, rel string, k map[string]any) error {
	l, _ := k["patches"].([]any)
	for i, e := range l {
		p, ok := e.(map[string]any)
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s patches[%d]", rel, i)
		text, _ := p["patch"].(string)
		if path, _ := p["path"].(string); path != "" {
			b, err := os.ReadFile(filepath.Join(dir, path))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			text = string(b)
		}
		target, _ := p["target"].(map[string]any)
		for _, d := range splitDocs(text) {
			var v any
			if err := yaml.Unmarshal([]byte(d), &v); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			switch v := v.(type) {
			case []any:
				jp := jsonPatch{where: where, target: target}
				for _, op := range v {
					m, _ := op.(map[string]any)
					jp.ops = append(jp.ops, m)
				}
				r.jsonPatches = append(r.jsonPatches, jp)
			case map[string]any:
				if _, isFile := p["path"]; isFile {
					continue // already loaded as a file
				}
				// An inline strategic-merge patch may leave its identity to the target.
				if target != nil {
					meta, _ := v["metadata"].(map[string]any)
					if meta == nil {
						meta = map[string]any{}
						v["metadata"] = meta
					}
					for _, f := range []string{"namespace", "name"} {
						if _, ok := meta[f]; !ok && target[f] != nil {
							meta[f] = target[f]
						}
					}
					if _, ok := v["kind"]; !ok {
						v["kind"] = target["kind"]
					}
				}
				r.objects = append(r.objects, object{where: where, patch: true, m: v})
			}
		}
	}
	return nil
}

func apiGroup(apiVersion string) string {
	g, _ := resid.ParseGroupVersion(apiVersion)
	return g
}

// all returns the objects of a group ("" for core) and kind, optionally in a
// namespace ("" = any).
func (r *rendered) all(group, kind, ns string) []object {
	var out []object
	for _, o := range r.objects {
		if o.kind() == kind && apiGroup(o.apiVersion()) == group && (ns == "" || o.namespace() == ns) {
			out = append(out, o)
		}
	}
	return out
}

// find returns the one object with this identity (resource or patch).
func (r *rendered) find(t testing.TB, group, kind, ns, name string) object {
	t.Helper()
	var found []object
	for _, o := range r.all(group, kind, ns) {
		if o.name() == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		var all []string
		for _, o := range r.objects {
			all = append(all, o.String())
		}
		t.Fatalf("the rendered components hold %d objects %s %s %s/%s, want 1; they hold:\n  %s",
			len(found), group, kind, ns, name, strings.Join(all, "\n  "))
	}
	return found[0]
}

// configMapKey returns data[key] of a ConfigMap: a resource, a
// strategic-merge patch, or a JSON6902 patch that adds or replaces
// /data/<key> (how a component replaces a key of a ConfigMap it cannot see).
func (r *rendered) configMapKey(t testing.TB, ns, name, key string) string {
	t.Helper()
	var vals []string
	for _, jp := range r.jsonPatches {
		if jp.target["kind"] != "ConfigMap" || jp.target["name"] != name || strOr(jp.target, "namespace", "default") != ns {
			continue
		}
		for _, op := range jp.ops {
			path, _ := op["path"].(string)
			if (op["op"] == "add" || op["op"] == "replace") && path == "/data/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(key) {
				if v, ok := op["value"].(string); ok {
					vals = append(vals, v)
				}
			}
		}
	}
	if len(vals) > 1 {
		t.Fatalf("%d JSON patches set data[%q] of ConfigMap %s/%s, want 1", len(vals), key, ns, name)
	}
	if len(vals) == 1 {
		if len(r.all("", "ConfigMap", ns)) > 0 && slices.ContainsFunc(r.all("", "ConfigMap", ns), func(o object) bool { return o.name() == name }) {
			t.Fatalf("ConfigMap %s/%s is both an object and a JSON patch target in the rendered components", ns, name)
		}
		return vals[0]
	}
	o := r.find(t, "", "ConfigMap", ns, name)
	v, ok := o.m["data"].(map[string]any)[key].(string)
	if !ok || v == "" {
		t.Fatalf("%s has no data[%q]", o, key)
	}
	return v
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

// decodeSpec decodes an Istio object's spec strictly (protojson rejects
// unknown fields, bad enums and bad durations).
func decodeSpec(t testing.TB, o object, msg proto.Message) {
	t.Helper()
	b, err := json.Marshal(o.m["spec"])
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(b, msg); err != nil {
		t.Fatalf("%s: spec does not decode as %T: %v", o, msg, err)
	}
}

// applyJSONPatch applies JSON6902 add/replace/remove/test ops to doc.
func applyJSONPatch(doc map[string]any, ops []map[string]any) error {
	for _, op := range ops {
		path, _ := op["path"].(string)
		toks := strings.Split(strings.TrimPrefix(path, "/"), "/")
		for i, tk := range toks {
			toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(tk)
		}
		var parent any = doc
		for _, tk := range toks[:len(toks)-1] {
			switch p := parent.(type) {
			case map[string]any:
				parent = p[tk]
			case []any:
				i, err := strconv.Atoi(tk)
				if err != nil || i < 0 || i >= len(p) {
					return fmt.Errorf("%s: bad index %q", path, tk)
				}
				parent = p[i]
			default:
				return fmt.Errorf("%s: no such path", path)
			}
		}
		last := toks[len(toks)-1]
		switch p := parent.(type) {
		case map[string]any:
			switch op["op"] {
			case "add", "replace":
				p[last] = op["value"]
			case "remove":
				delete(p, last)
			case "test":
			default:
				return fmt.Errorf("op %v not implemented", op["op"])
			}
		case []any:
			// Lists are values in their parent: rebuild and store back.
			i := len(p)
			if last != "-" {
				n, err := strconv.Atoi(last)
				if err != nil {
					return fmt.Errorf("%s: bad index", path)
				}
				i = n
			}
			var nl []any
			switch op["op"] {
			case "add":
				if i > len(p) {
					return fmt.Errorf("%s: index out of range", path)
				}
				nl = slices.Insert(slices.Clone(p), i, op["value"])
			case "replace":
				nl = slices.Clone(p)
				nl[i] = op["value"]
			case "remove":
				nl = slices.Delete(slices.Clone(p), i, i+1)
			case "test":
				continue
			default:
				return fmt.Errorf("op %v not implemented", op["op"])
			}
			if err := applyJSONPatch(doc, []map[string]any{{"op": "replace", "path": parentPath(path), "value": nl}}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: no such path", path)
		}
	}
	return nil
}

func parentPath(p string) string { return p[:strings.LastIndex(p, "/")] }

// mergePatch applies an RFC 7386 JSON merge patch (what kustomize does with a
// strategic-merge patch of a custom resource: lists are replaced).
func mergePatch(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		pm, ok := v.(map[string]any)
		dm, ok2 := dst[k].(map[string]any)
		if ok && ok2 {
			mergePatch(dm, pm)
			continue
		}
		dst[k] = v
	}
}

// mutate applies $E2E_MUTATE, "REGEXP=>REPLACEMENT" (Go regexp syntax), to
// every rendered file: e2e/mutations.sh uses it to show that a wrong
// generated value makes a flow fail. It must match at least once.
func mutate(t testing.TB, dir string) {
	t.Helper()
	spec := os.Getenv("E2E_MUTATE")
	if spec == "" {
		return
	}
	from, to, ok := strings.Cut(spec, "=>")
	if !ok {
		t.Fatalf("E2E_MUTATE=%q: want REGEXP=>REPLACEMENT", spec)
	}
	re := regexp.MustCompile(from)
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if m := re.FindAllIndex(b, -1); len(m) > 0 {
			n += len(m)
			os.WriteFile(p, re.ReplaceAll(b, []byte(to)), 0o644)
		}
		return nil
	})
	if n == 0 {
		t.Fatalf("E2E_MUTATE=%q matched nothing in the rendered components", spec)
	}
	t.Logf("E2E_MUTATE: %d replacement(s) of %q by %q", n, from, to)
}
