package merge

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The merges edit documents other programs own. Whatever YAML they are
// given, a merge either refuses it or keeps every key it does not own:
// every top-level key but its own is deep-equal afterwards, every list entry
// not named like ours stays in order, and merging the result again changes
// nothing. `make fuzz` runs these for FUZZTIME; `go test` runs the seeds.

const fuzzSeeds = "../../testdata/fuzz"

func FuzzExtensionProvider(f *testing.F) {
	seed(f, "FuzzExtensionProvider", "../baseline/mesh.yaml",
		"",
		"extensionProviders:\n",
		"extensionProviders:\n- name: oauth2-proxy\n  envoyExtAuthzGrpc: {service: old, port: 1}\n- name: zipkin\n  zipkin: {service: z, port: 9411}\n",
		"extensionProviders:\n- name: oauth2-proxy\n  zipkin: {service: z}\n",
		"# comment\ndefaultConfig: &d {a: 1}\nother: *d\nextensionProviders: [{name: x, prometheus: {}}]\n",
		"a: [unclosed",
	)
	f.Fuzz(func(t *testing.T, mesh string, grpc bool) {
		kind := "envoyExtAuthzHttp"
		if grpc {
			kind = "envoyExtAuthzGrpc"
		}
		provider := func() *yaml.RNode {
			return yaml.MustParse("name: oauth2-proxy\n" + kind + ":\n  service: oauth2-proxy.oauth2-proxy.svc.cluster.local\n  port: 80\n")
		}
		out, err := ExtensionProvider(mesh, "oauth2-proxy", provider())
		if err != nil {
			return // refused: the caller reports it and writes nothing
		}
		if checkKept(t, mesh, out, "extensionProviders", "name", "oauth2-proxy", nil) {
			outList := decodeMap(t, "output", out)["extensionProviders"]
			if want := decodeNode(t, provider()); !containsEntry(outList, want) {
				t.Errorf("the merged mesh config lacks our provider %v:\n%s", want, out)
			}
		}
		checkTwice(t, func(mesh string) (string, error) { return ExtensionProvider(mesh, "oauth2-proxy", provider()) }, out)
	})
}

func FuzzDexConfig(f *testing.F) {
	seed(f, "FuzzDexConfig", "../baseline/dex-config.yaml",
		"",
		"staticClients:\n",
		"issuer: http://old\nstaticClients:\n- id: oauth2-proxy\n  secret: old\n- idEnv: X\n  secretEnv: Y\n- id: grafana\noauth2:\n  skipApprovalScreen: true\n",
		"oauth2: yes\n",
		"connectors: &c [{type: mockCallback, id: mock}]\nother: *c\n",
		"issuer: [",
	)
	const issuer = "http://dex.auth.svc.cluster.local:5556/dex"
	f.Fuzz(func(t *testing.T, config string, password bool) {
		clients := func() []DexClient {
			return []DexClient{
				{ID: "oauth2-proxy", Client: yaml.MustParse("id: oauth2-proxy\nname: oauth2-proxy\nredirectURIs: [https://a.example.com/oauth2/callback]\nsecretEnv: OAUTH2_PROXY_CLIENT_SECRET\n")},
				{ID: "grafana", Client: yaml.MustParse("id: grafana\nname: grafana\nredirectURIs: [https://a.example.com/grafana/]\npublic: true\n")},
			}
		}
		settings := DexSettings{Issuer: issuer}
		if password {
			settings.PasswordConnector = "local"
		}
		out, err := DexConfig(config, clients(), settings)
		if err != nil {
			return
		}
		owned := map[string]bool{"issuer": true}
		if password {
			owned["oauth2"] = true
		}
		if checkKept(t, config, out, "staticClients", "id", "", owned) {
			got := decodeMap(t, "output", out)
			if got["issuer"] != issuer {
				t.Errorf("issuer = %v, want %s", got["issuer"], issuer)
			}
			for _, c := range clients() {
				if want := decodeNode(t, c.Client); !containsEntry(got["staticClients"], want) {
					t.Errorf("the merged Dex config lacks client %v:\n%s", want, out)
				}
			}
			if password {
				in, _ := decodeMap(t, "", config)["oauth2"].(map[string]any)
				o, _ := got["oauth2"].(map[string]any)
				if o["passwordConnector"] != "local" {
					t.Errorf("oauth2.passwordConnector not set:\n%s", out)
				}
				for k, v := range in {
					if k != "passwordConnector" && !cmp.Equal(v, o[k]) {
						t.Errorf("oauth2.%s changed: %v -> %v", k, v, o[k])
					}
				}
			}
		}
		checkTwice(t, func(config string) (string, error) { return DexConfig(config, clients(), settings) }, out)
	})
}

// seed adds the baseline file, the inline documents and
// testdata/fuzz/<target>/* (mesh and Dex configs from the upstream Kubeflow
// manifests), each with the bool parameter both ways.
func seed(f *testing.F, target, baseline string, docs ...string) {
	files, err := filepath.Glob(filepath.Join(fuzzSeeds, target, "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files in %s/%s: %v", fuzzSeeds, target, err)
	}
	for _, file := range append(files, baseline) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	for _, d := range docs {
		f.Add(d, false)
		f.Add(d, true)
	}
}

// checkKept compares the input and output documents: every top-level key
// but listField and the owned ones is deep-equal, no key appears from
// nowhere, and the entries of listField whose key is not one we merged are
// kept in order. It returns false when the input cannot be compared. ours is the key values we own ("" = any entry whose key
// is one of the merged ids, found from the output's new entries).
func checkKept(t *testing.T, in, out, listField, key, ours string, owned map[string]bool) bool {
	t.Helper()
	inDoc, err := decode(in)
	if err != nil {
		// A strict decoder refuses the input (duplicate keys, say), so it
		// refuses the output too; there is nothing to compare key by key.
		return false
	}
	inMap, isMap := inDoc.(map[string]any)
	if inDoc != nil && !isMap {
		t.Fatalf("a %T document was merged instead of refused:\n%q", inDoc, in)
	}
	outMap := decodeMap(t, "output", out)
	for k, v := range inMap {
		if k == listField || owned[k] {
			continue
		}
		if !cmp.Equal(v, outMap[k]) {
			t.Errorf("key %q was not kept:\n%s\ninput:\n%s\noutput:\n%s", k, cmp.Diff(v, outMap[k]), in, out)
		}
	}
	for k := range outMap {
		if _, ok := inMap[k]; !ok && k != listField && !owned[k] {
			t.Errorf("key %q appeared from nowhere:\n%s", k, out)
		}
	}
	isOurs := func(e any) bool {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[key].(string)
		if ours != "" {
			return ok && v == ours
		}
		return ok && (v == "oauth2-proxy" || v == "grafana")
	}
	others := func(l any) []any {
		var keep []any
		list, _ := l.([]any)
		for _, e := range list {
			if !isOurs(e) {
				keep = append(keep, e)
			}
		}
		return keep
	}
	if diff := cmp.Diff(others(inMap[listField]), others(outMap[listField])); diff != "" {
		t.Errorf("%s entries that are not ours changed (-in +out):\n%s\ninput:\n%s\noutput:\n%s", listField, diff, in, out)
	}
	return true
}

// decode reads a YAML document into plain values; keys that are not
// strings (1: x, true: y) are spelled as strings, as JSON would see them.
// Two keys that spell the same (-0 and 0) make the document incomparable.
func decode(doc string) (any, error) {
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		return nil, err
	}
	return plain(v)
}

func plain(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if x[k], err = plain(e); err != nil {
				return nil, err
			}
		}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			key := fmt.Sprint(k)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("two keys spell %q", key)
			}
			if m[key], err = plain(e); err != nil {
				return nil, err
			}
		}
		return m, nil
	case []any:
		for i, e := range x {
			if x[i], err = plain(e); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

func decodeMap(t *testing.T, what, doc string) map[string]any {
	t.Helper()
	v, err := decode(doc)
	if err != nil {
		if what == "" {
			return nil
		}
		t.Fatalf("%s does not parse: %v\n%s", what, err, doc)
	}
	if v == nil {
		return map[string]any{}
	}
	m, ok := v.(map[string]any)
	if !ok && what != "" {
		t.Fatalf("%s is a %T, not a mapping:\n%s", what, v, doc)
	}
	return m
}

func decodeNode(t *testing.T, n *yaml.RNode) any {
	t.Helper()
	var v any
	if err := n.YNode().Decode(&v); err != nil {
		t.Fatal(err)
	}
	p, err := plain(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func containsEntry(list any, want any) bool {
	l, _ := list.([]any)
	for _, e := range l {
		if cmp.Equal(e, want) {
			return true
		}
	}
	return false
}
