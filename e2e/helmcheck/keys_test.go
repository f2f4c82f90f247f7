package helmcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/helmvalues"
)

// The charts have no values schema: a key they do not read is dropped
// without a word. TestValuesKeysAreTheCharts checks every key path of every
// values file render --helm writes against the paths the chart's templates
// read (.Values.a.b, index .Values "a"): the path itself, a subtree the
// template takes whole (toYaml), or a map on the way to one.
func TestValuesKeysAreTheCharts(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the vendored charts and the istio module")
	}
	charts := map[string]struct {
		dir  string
		file string
	}{
		"oauth2-proxy": {oauth2ProxyChart(t), helmvalues.OAuth2ProxyValuesFile},
		"dex":          {filepath.Join(chartsDir(t), "dex"), helmvalues.DexValuesFile},
		"istiod":       {istiodChartDir(t), helmvalues.IstiodValuesFile},
	}
	refs := map[string][]string{}
	for name, c := range charts {
		refs[name] = templateRefs(t, c.dir)
		if len(refs[name]) < 20 {
			t.Fatalf("found only %d .Values references in the %s chart", len(refs[name]), name)
		}
	}
	// Not vacuous: misspelled keys are found, read ones are not.
	typo := yaml.MustParse("podSecurityContxt: {runAsNonRoot: true}\nsecurityContext: {enabled: true, runAsUser: 1}\nconfig: {existingSecrett: x, configFile: y}\n")
	if got := unread(typo.YNode(), "", refs["oauth2-proxy"], false); strings.Join(got, " ") != "podSecurityContxt config.existingSecrett" {
		t.Errorf("misspelled keys found: %v, want podSecurityContxt and config.existingSecrett", got)
	}
	docs := helmCases(t)
	for name, spec := range moreAuthConfigs {
		docs["more: "+name] = []byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: more}\nspec:\n  publicURL: https://kubeflow.example.com" + spec + "\n")
	}
	checked := 0
	for name, doc := range docs {
		dir, code, stderr := renderCLI(t, doc)
		if code != 0 {
			t.Fatalf("%s: render --helm exited %d:\n%s", name, code, stderr)
		}
		for chart, c := range charts {
			b, err := os.ReadFile(filepath.Join(dir, c.file))
			if os.IsNotExist(err) && chart == "dex" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n, err := yaml.Parse(string(b))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range unread(n.YNode(), "", refs[chart], chart == "istiod") {
				t.Errorf("%s: %s sets %s, which the %s chart does not read", name, c.file, p, chart)
			}
			checked++
		}
	}
	t.Logf("%d values files checked against the charts' templates", checked)
}

var valuesRef = regexp.MustCompile(`\.Values((?:\.[A-Za-z0-9_]+)+)|index \.Values "([^"]+)"`)

// templateRefs are the .Values paths a chart's templates read.
func templateRefs(t *testing.T, chart string) []string {
	t.Helper()
	set := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(chart, "templates"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		for _, m := range valuesRef.FindAllStringSubmatch(string(b), -1) {
			if m[1] != "" {
				set[strings.TrimPrefix(m[1], ".")] = true
			} else {
				set[m[2]] = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// unread walks a values mapping and returns the key paths no reference
// covers. istiod's chart copies everything under pilot to the top
// (templates/zzy_descope_legacy.yaml).
func unread(n *yaml.Node, prefix string, refs []string, descopePilot bool) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := n.Content[i].Value
		if prefix != "" {
			p = prefix + "." + p
		}
		look := p
		if descopePilot {
			look = strings.TrimPrefix(strings.TrimPrefix(look, "pilot"), ".")
			if look == "" {
				out = append(out, unread(n.Content[i+1], p, refs, descopePilot)...)
				continue
			}
		}
		whole, onTheWay := false, false
		for _, r := range refs {
			whole = whole || look == r || strings.HasPrefix(look, r+".")
			onTheWay = onTheWay || strings.HasPrefix(r, look+".")
		}
		switch {
		case whole:
		case onTheWay && n.Content[i+1].Kind == yaml.MappingNode:
			out = append(out, unread(n.Content[i+1], p, refs, descopePilot)...)
		default:
			out = append(out, p)
		}
	}
	return out
}
