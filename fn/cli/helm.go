package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/helmvalues"
)

// helmFlags are render's flags for the Helm output (docs/helm.md).
type helmFlags struct {
	dir                                     *string
	dexValues, istiodValues                 *string
	oauth2ProxyChart, dexChart, istiodChart *string
}

func addHelmFlags(fs *flag.FlagSet) helmFlags {
	return helmFlags{
		dir:              fs.String("helm", "", "write values for the upstream oauth2-proxy, Dex and istiod charts (and a manifest for what no chart carries) into `DIR` instead of the components; see docs/helm.md"),
		dexValues:        fs.String("dex-values", "", "with --helm: your Dex chart values `FILE`; meshauth's clients are merged into its config (connectors kept)"),
		istiodValues:     fs.String("istiod-values", "", "with --helm: your istiod chart values `FILE`; meshauth's provider and env are merged in"),
		oauth2ProxyChart: fs.String("oauth2-proxy-chart", "", "with --helm: the oauth2-proxy chart `VERSION` (default and only supported: the pinned one)"),
		dexChart:         fs.String("dex-chart", "", "with --helm: the Dex chart `VERSION` (default and only supported: the pinned one)"),
		istiodChart:      fs.String("istiod-chart", "", "with --helm: the istiod chart `VERSION` (default: the pinned release line)"),
	}
}

// renderHelm is `render --helm DIR`: the function renders the components
// first (the same checks, the same refusals), then the Helm files are
// written from the same AuthConfig.
func renderHelm(h helmFlags, doc []byte, stdout, stderr io.Writer) error {
	_, results, err := Render(doc)
	// Only the errors: the components' warnings are about kustomize targets.
	var errs fn.Results
	for _, r := range results {
		if r.Severity == fn.Error {
			errs = append(errs, r)
		}
	}
	report(stderr, errs)
	if err != nil {
		return err
	}
	cfg, loadErrs := api.Load(doc)
	if len(loadErrs) > 0 {
		return errReported // Render reported them
	}
	opts := helmvalues.Options{OAuth2ProxyChart: *h.oauth2ProxyChart, DexChart: *h.dexChart, IstiodChart: *h.istiodChart}
	for _, f := range []struct {
		path string
		into *[]byte
	}{{*h.dexValues, &opts.DexValues}, {*h.istiodValues, &opts.IstiodValues}} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		*f.into = data
	}
	out, err := helmvalues.Render(cfg, opts)
	if r, ok := errors.AsType[helmvalues.Refused](err); ok {
		for _, p := range r {
			fmt.Fprintln(stderr, "error:", p)
		}
		return errReported
	}
	if err != nil {
		return err
	}
	for _, w := range out.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	// Files of an earlier render that this one does not write go away.
	for _, name := range []string{helmvalues.OAuth2ProxyValuesFile, helmvalues.DexValuesFile, helmvalues.IstiodValuesFile,
		helmvalues.ExtrasFile, helmvalues.RoutesDir + "/kustomization.yaml", helmvalues.ReadmeFile} {
		if err := os.Remove(filepath.Join(*h.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := writeTree(*h.dir, out.Files); err != nil {
		return err
	}
	printTree(stdout, *h.dir, out.Files)
	return nil
}
