package cli

import (
	"io"

	"meshauth.dev/meshauth/fn/api"
)

func schema(stdout io.Writer) error {
	crd, err := api.CRD()
	if err != nil {
		return err
	}
	_, err = stdout.Write(crd)
	return err
}
