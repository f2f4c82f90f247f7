package cli

import (
	"fmt"
	"io"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
)

func validate(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("validate", stderr)
	file := fs.String("f", "", "AuthConfig file to check (- for stdin)")
	output := fs.String("output", "", "also check emitted YAML under this folder against the upstream schemas")
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	if *output != "" {
		if err := validateOutput(*output, stdout, stderr); err != nil || *file == "" {
			return err
		}
	}
	if *file == "" {
		return fmt.Errorf("validate needs -f FILE and/or --output DIR")
	}
	doc, err := readConfig(*file, stdin)
	if err != nil {
		return err
	}
	c, errs := api.Load(doc)
	for _, e := range errs {
		fmt.Fprintf(stderr, "error: %s\n", e)
	}
	if len(errs) > 0 {
		return errReported
	}
	fmt.Fprintf(stdout, "%s: AuthConfig %q is valid\n", *file, c.Metadata.Name)
	return nil
}

// validateOutput checks rendered components (or any emitted YAML) with the
// same checks the function runs on its own output.
func validateOutput(dir string, stdout, stderr io.Writer) error {
	problems, err := outputcheck.Dir(dir)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "error: %s\n", p)
	}
	if len(problems) > 0 {
		return errReported
	}
	fmt.Fprintf(stdout, "%s: emitted objects are valid\n", dir)
	return nil
}
