package generators

import (
	"regexp"
	"testing"
)

// The identity-header filter's regex (RE2, matched by Envoy against the
// whole lower-case header name) covers every spelling of every identity
// header and nothing else a client legitimately sends.
func TestIdentityHeaderRegex(t *testing.T) {
	re := regexp.MustCompile(`^(?:` + identityHeaderRegex("kubeflow-userid", "My_Groups") + `)$`)
	for _, h := range []string{"kubeflow-userid", "kubeflow_userid", "my-groups", "my_groups", "x-auth-request-email", "x_auth-request_user",
		"x-auth-request-groups", "x-auth-request-preferred-username", "x-auth-request-access-token", "x-forwarded-email", "x-forwarded-user",
		"x-forwarded-groups", "x-forwarded-preferred-username", "x-forwarded-access-token", "gap-auth", "gap_auth"} {
		if !re.MatchString(h) {
			t.Errorf("%s is not removed", h)
		}
	}
	for _, h := range []string{"authorization", "cookie", "x-auth-request-redirect", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "kubeflow-userid2", "xkubeflow-userid"} {
		if re.MatchString(h) {
			t.Errorf("%s would be removed", h)
		}
	}
}
