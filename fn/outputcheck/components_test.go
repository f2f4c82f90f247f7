package outputcheck

import (
	"os"
	"testing"
)

// TestCheckedInComponents validates the components rendered from the
// default AuthConfig and checked in at the repository root: they are what
// plain kustomize users apply, so nothing invalid may be in them either.
func TestCheckedInComponents(t *testing.T) {
	const dir = "../../components"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no components/ rendered yet")
	}
	problems, err := Dir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p.String())
	}
}
