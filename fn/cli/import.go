package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"meshauth.dev/meshauth/fn/importer"
)

// importCmd reads an existing install and writes the AuthConfig that
// reproduces it, with the report (docs/import.md).
func importCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("import", stderr)
	file := fs.String("f", "", "the install: a file (kustomize build output, a kubectl List), a directory of manifests, or - for stdin")
	out := fs.String("o", "", "write the AuthConfig to this file (default: stdout)")
	reportFile := fs.String("report", "", "write the report to this file (default: stderr)")
	publicURL := fs.String("public-url", "", "spec.publicURL, when the install does not say it")
	name := fs.String("name", "", "metadata.name of the AuthConfig (default imported)")
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	if *file == "" || fs.NArg() > 0 {
		return fmt.Errorf("import needs -f INSTALL (a file, a directory or -); usage: authconfig-fn import -f INSTALL [-o authconfig.yaml] [-report report.md] [-public-url URL]")
	}
	objs, err := importer.Read(*file, stdin)
	if err != nil {
		return fmt.Errorf("reading %s: %v", *file, err)
	}
	res, err := importer.Import(objs, importer.Options{PublicURL: *publicURL, Name: *name})
	var ie *importer.Error
	if errors.As(err, &ie) {
		for _, p := range ie.Problems {
			fmt.Fprintln(stderr, "error:", p.String())
		}
		return errReported
	}
	if err != nil {
		return err
	}
	if *out == "" {
		if _, err := stdout.Write(res.AuthConfig); err != nil {
			return err
		}
	} else if err := os.WriteFile(*out, res.AuthConfig, 0o644); err != nil {
		return err
	}
	if *reportFile == "" {
		return res.Report.Write(stderr)
	}
	f, err := os.Create(*reportFile)
	if err != nil {
		return err
	}
	if err := res.Report.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
