package outputcheck

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusDir holds Kubeflow's upstream manifests rendered with kustomize
// (see its README.md). It lives in the shared workspace, not in the repo.
const corpusDir = "/work/shared/corpus/kubeflow-manifests"

// knownCorpusProblems is what Objects finds in each upstream file. It is an
// assertion, not an allow-list: a check that starts finding (or stops
// finding) something in real manifests must be looked at. The upstream
// manifests are clean under every check today. Note for readers:
// oauth2_proxy.cfg there has `cookie_refresh = 0`, a TOML integer where a
// duration string is expected; zero is the same in every unit, so it is
// accepted, while any other integer is reported (it would be nanoseconds).
var knownCorpusProblems = map[string][]string{}

// skippedCorpusKinds are the kinds in the corpus that no check covers. If
// this list grows, dispatch broke or a kind lost its table entry.
var skippedCorpusKinds = []string{"CustomResourceDefinition"}

func readCorpus(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not available at %s", corpusDir)
	}
	out := map[string]string{}
	for _, f := range files {
		if filepath.Base(f) == "example-offline.yaml" {
			continue // 170k lines of unrelated components; too slow for unit tests
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(data)
	}
	return out
}

func TestCorpus(t *testing.T) {
	skipped := map[string]bool{}
	for name, data := range readCorpus(t) {
		t.Run(name, func(t *testing.T) {
			objs := parseDocs(t, data)
			if diff := cmp.Diff(knownCorpusProblems[name], problemStrings(objs)); diff != "" {
				t.Errorf("problems in %s (-known +got):\n%s", name, diff)
			}
			for _, o := range objs {
				ob := newObject(o)
				if kubeKinds[gk{ob.group, ob.kind}] == nil && istioKinds[gk{ob.group, ob.kind}] == nil && !isKustomization(ob) {
					skipped[ob.kind] = true
				}
			}
		})
	}
	got := slices.Sorted(maps.Keys(skipped))
	if diff := cmp.Diff(skippedCorpusKinds, got); diff != "" {
		t.Errorf("kinds skipped in the corpus (-want +got):\n%s", diff)
	}
}

// TestCorpusMutations proves the clean corpus result means something: the
// same real manifests with one realistic mistake each must be caught.
func TestCorpusMutations(t *testing.T) {
	corpus := readCorpus(t)
	tests := map[string]struct {
		file, old, new string
		want           []string
	}{
		"typo in Dex config": {
			file: "example-auth.yaml", old: "skipApprovalScreen", new: "skipAprovalScreen",
			want: []string{"ConfigMap auth/dex: data[config.yaml].oauth2.skipAprovalScreen: unknown field"},
		},
		"ext_authz provider on the wrong port": {
			file: "example-auth.yaml", old: "        service: oauth2-proxy.oauth2-proxy.svc.cluster.local\n        port: 80", new: "        service: oauth2-proxy.oauth2-proxy.svc.cluster.local\n        port: 4180",
			want: []string{"ConfigMap istio-system/istio: data[mesh].extensionProviders[0].port: Service oauth2-proxy/oauth2-proxy has no port 4180"},
		},
		"issuer drift between Dex and RequestAuthentication": {
			file: "example-auth.yaml", old: "issuer: http://dex.auth.svc.cluster.local:5556/dex\n    storage", new: "issuer: http://dex.auth.svc.cluster.local:5556/dex/\n    storage",
			want: []string{`ConfigMap auth/dex: data[config.yaml].issuer: no RequestAuthentication jwtRule has issuer "http://dex.auth.svc.cluster.local:5556/dex/"`},
		},
		"cookie_refresh in seconds": {
			file: "oauth2-proxy-m2m-dex-only.yaml", old: "cookie_refresh = 0", new: "cookie_refresh = 3600",
			want: []string{`ConfigMap oauth2-proxy/oauth2-proxy-` + "*" + `: data[oauth2_proxy.cfg].cookie_refresh: must be a duration string such as "1h" (a TOML number is read as nanoseconds), not an integer`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data, ok := corpus[tc.file]
			if !ok || strings.Count(data, tc.old) != 1 {
				t.Fatalf("%s: %q must occur exactly once", tc.file, tc.old)
			}
			got := problemsIn(t, strings.Replace(data, tc.old, tc.new, 1))
			if len(got) != len(tc.want) || !slices.EqualFunc(got, tc.want, globMatch) {
				t.Errorf("problems = %q, want %q", got, tc.want)
			}
		})
	}
}

// globMatch lets a wanted message hold one "*" for a generated name suffix.
func globMatch(got, want string) bool {
	before, after, ok := strings.Cut(want, "*")
	if !ok {
		return got == want
	}
	return strings.HasPrefix(got, before) && strings.HasSuffix(got, after) && len(got) >= len(before)+len(after)
}
