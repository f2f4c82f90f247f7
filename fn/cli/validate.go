package cli

import (
	"fmt"
	"io"

	"meshauth.dev/meshauth/fn/api"
)

func validate(args []string, stdout, stderr io.Writer) error {
	fs := flags("validate", stderr)
	file := fs.String("f", "", "AuthConfig file to check (- for stdin)")
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	if *file == "" {
		return fmt.Errorf("validate needs -f FILE")
	}
	doc, err := readConfig(*file)
	if err != nil {
		return err
	}
	c, errs := api.Decode(doc)
	if len(errs) == 0 {
		errs = api.Validate(api.Defaulted(c))
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "error: %s\n", e)
	}
	if len(errs) > 0 {
		return errReported
	}
	fmt.Fprintf(stdout, "%s: AuthConfig %q is valid\n", *file, c.Metadata.Name)
	return nil
}
