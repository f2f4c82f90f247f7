package e2e

import (
	"sync"
	"testing"

	"meshauth.dev/meshauth/internal/loopback"
)

// runSecrets are test Secrets whose values a test makes at run time (a CA
// it generated, for a Secret the AuthConfig mounts); testSecrets includes
// them. Tests add them before the environment boots.
var runSecrets = struct {
	sync.Mutex
	s loopback.Secrets
}{s: loopback.Secrets{}}

// addTestSecret makes Secret name hold key = value until the test ends.
func addTestSecret(t testing.TB, name, key, value string) {
	runSecrets.Lock()
	defer runSecrets.Unlock()
	runSecrets.s.Put(name, key, value)
	t.Cleanup(func() {
		runSecrets.Lock()
		defer runSecrets.Unlock()
		delete(runSecrets.s[name], key)
	})
}

// withRunSecrets adds the run-time test Secrets to s.
func withRunSecrets(s loopback.Secrets) loopback.Secrets {
	runSecrets.Lock()
	defer runSecrets.Unlock()
	for name, keys := range runSecrets.s {
		for k, v := range keys {
			s.Put(name, k, v)
		}
	}
	return s
}
