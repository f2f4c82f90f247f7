// Package helmrelease installs an AuthConfig's Helm output the way the tests
// need it, without a cluster: it finds the upstream charts (the vendored
// oauth2-proxy and Dex charts, istiod's chart in the istio.io/istio module)
// and runs `helm template` on them with the values `authconfig-fn render
// --helm` wrote. Used by e2e/helmcheck and the e2e login flow on the
// chart-rendered configuration.
package helmrelease

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/internal/versions"
)

// ChartsDir is the folder of the vendored upstream charts: $MESHAUTH_CHARTS,
// or ../shared/charts next to the repository (where CI has them).
func ChartsDir(repoRoot string) (string, error) {
	d := os.Getenv("MESHAUTH_CHARTS")
	if d == "" {
		d = filepath.Join(repoRoot, "..", "shared", "charts")
	}
	d, err := filepath.Abs(d)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(d, "oauth2-proxy", "Chart.yaml")); err != nil {
		return "", fmt.Errorf("the vendored charts are not at %s (set MESHAUTH_CHARTS): %v", d, err)
	}
	return d, nil
}

// IstiodChart is istiod's chart in the istio.io/istio module the project
// pins, in the module cache (`make istio-crds` downloads the module).
func IstiodChart() (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	d := filepath.Join(strings.TrimSpace(string(out)), versions.IstioModule+"@"+versions.IstioModuleVersion,
		"manifests", "charts", "istio-control", "istio-discovery")
	if _, err := os.Stat(filepath.Join(d, "Chart.yaml")); err != nil {
		return "", fmt.Errorf("istiod's chart is not in the module cache (%v): run `make istio-crds`", err)
	}
	return d, nil
}

var o2p struct {
	once sync.Once
	dir  string
	err  error
}

// OAuth2ProxyChart is the vendored oauth2-proxy chart as Helm can template
// it. Helm 4 (like 3) refuses a chart whose Chart.yaml declares a
// dependency missing from charts/, even a disabled one: the chart declares
// redis-ha (condition redis-ha.enabled, off by default), which is not
// vendored. A copy in the temp folder drops that one Chart.yaml entry and
// Chart.lock; the templates and values are the vendored ones, unmodified.
// The copy is named by a hash of the vendored files, so test processes
// share it and a changed chart gets a new one.
func OAuth2ProxyChart(chartsDir string) (string, error) {
	o2p.once.Do(func() {
		o2p.dir, o2p.err = copyWithoutDependencies(filepath.Join(chartsDir, "oauth2-proxy"))
		if o2p.err != nil {
			o2p.err = fmt.Errorf("copying the oauth2-proxy chart without its redis-ha dependency: %w", o2p.err)
		}
	})
	return o2p.dir, o2p.err
}

func copyWithoutDependencies(src string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(src, p)
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	final := filepath.Join(os.TempDir(), "meshauth-chart-oauth2-proxy-"+hex.EncodeToString(h.Sum(nil))[:16], "oauth2-proxy")
	if _, err := os.Stat(filepath.Join(final, "Chart.yaml")); err == nil {
		return final, nil
	}
	tmp, err := os.MkdirTemp("", "meshauth-chart-tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "oauth2-proxy")
	if out, err := exec.Command("cp", "-r", src, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cp: %v: %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(src, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	n, err := yaml.Parse(string(b))
	if err != nil {
		return "", err
	}
	if err := n.PipeE(yaml.Clear("dependencies")); err != nil {
		return "", err
	}
	text, err := n.String()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(text), 0o644); err != nil {
		return "", err
	}
	if err := os.Remove(filepath.Join(dir, "Chart.lock")); err != nil && !os.IsNotExist(err) {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", err
	}
	// Another process may have won the race: its copy is the same.
	if err := os.Rename(dir, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "Chart.yaml")); serr != nil {
			return "", err
		}
	}
	return final, nil
}

// Template runs `helm template RELEASE CHART -n NAMESPACE -f VALUES`.
func Template(ctx context.Context, helm, release, chart, namespace, values string) ([]byte, error) {
	if strings.Contains(values, ",") {
		return nil, fmt.Errorf("helm -f splits its argument at commas: the values path %q cannot contain one", values)
	}
	cmd := exec.CommandContext(ctx, helm, "template", release, chart, "-n", namespace, "-f", values)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm template %s %s -n %s -f %s: %v\n%s", release, chart, namespace, values, err, stderr.String())
	}
	return out, nil
}

// DexConfig is Dex's config.yaml as the Dex chart renders it: in the Secret
// its Deployment mounts as volume config (base64 in data).
func DexConfig(objs []*yaml.RNode) (string, error) {
	var dep *yaml.RNode
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			if dep != nil {
				return "", fmt.Errorf("the Dex chart rendered more than one Deployment")
			}
			dep = o
		}
	}
	if dep == nil {
		return "", fmt.Errorf("the Dex chart rendered no Deployment")
	}
	vols, err := dep.Pipe(yaml.Lookup("spec", "template", "spec", "volumes"))
	if err != nil || vols == nil {
		return "", fmt.Errorf("the Dex chart's Deployment has no volumes")
	}
	secret := ""
	for _, v := range vols.Content() {
		vn := yaml.NewRNode(v)
		if f := vn.Field("name"); f != nil && yaml.GetValue(f.Value) == "config" {
			if s, _ := vn.Pipe(yaml.Lookup("secret", "secretName")); s != nil {
				secret = yaml.GetValue(s)
			}
		}
	}
	for _, o := range objs {
		if o.GetKind() != "Secret" || o.GetName() != secret || o.GetNamespace() != dep.GetNamespace() {
			continue
		}
		enc, _ := o.Pipe(yaml.Lookup("data", "config.yaml"))
		if enc == nil {
			return "", fmt.Errorf("Secret %s has no data[config.yaml]", secret)
		}
		b, err := base64.StdEncoding.DecodeString(yaml.GetValue(enc))
		if err != nil {
			return "", fmt.Errorf("Secret %s data[config.yaml]: %w", secret, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("the Dex chart mounts its config from Secret %q, which it did not render", secret)
}

// Charts are the three charts an AuthConfig's release is templated from.
type Charts struct {
	OAuth2Proxy, Dex, Istiod string
}

// Find locates the charts (ChartsDir, OAuth2ProxyChart, IstiodChart).
func Find(repoRoot string) (Charts, error) {
	dir, err := ChartsDir(repoRoot)
	if err != nil {
		return Charts{}, err
	}
	o2p, err := OAuth2ProxyChart(dir)
	if err != nil {
		return Charts{}, err
	}
	istiod, err := IstiodChart()
	if err != nil {
		return Charts{}, err
	}
	return Charts{OAuth2Proxy: o2p, Dex: filepath.Join(dir, "dex"), Istiod: istiod}, nil
}
