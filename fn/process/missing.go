package process

import (
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/generators"
)

// A patch target the function cannot see is a stack that cannot work: istiod turns the CUSTOM
// policy into deny-all without the mesh provider, Dex refuses a client it does not know, the
// logout paths fall through. Resources mode, and components mode over a package with resources,
// refuse; docs/istiod.md and docs/authconfig.md (spec.istio.managedBy) explain the choices.

// brokenWithout says, per component, what stops working when its patch target is missing.
var brokenWithout = map[string]string{
	"istio-external-auth": "without the extension provider in the mesh config istiod turns the CUSTOM AuthorizationPolicy into deny-all (an RBAC rule ending in -deny-due-to-bad-CUSTOM-action, no ext_authz filter): every request to the gateway gets 403",
	"istiod-jwt-refresh":  "istiod keeps a JWKS it fetched before Dex was up for 20 minutes (PILOT_JWT_PUB_KEY_REFRESH_INTERVAL unset): logins fail with \"Jwks doesn't have key to match kid or alg\"",
	"dex-clients":         "Dex does not know oauth2-proxy's static client or its secret: every login fails",
	"logout":              "the logout paths fall through to the other routes: users cannot log out",
}

// elsewhereFix is the second way out, for targets another install may own.
var elsewhereFix = map[string]string{
	"istio-external-auth": "; or, when Istio is installed with istioctl, Helm or an operator, set spec.istio.managedBy: external and add the extensionProviders entry the function then prints to that install",
	"istiod-jwt-refresh":  "; or, when Istio is installed with istioctl, Helm or an operator, set spec.istio.managedBy: external and add the istiod env the function then prints to that install",
	"dex-clients":         "; or, when Dex runs elsewhere, treat it as an external provider: remove spec.dex, set spec.oidc.issuerURL and register the client there",
}

// missingTarget is the refusal for a patch whose target is not in the stream (resources mode)
// or in the package (components mode).
// held lists what the stream holds of the target's kind, since a name
// that differs (a renamed dashboard) is the likeliest cause.
func missingTarget(c generators.Component, p generators.Patch, mode Mode, held []string) *fn.Result {
	fix := "list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources)"
	if mode == Components {
		fix = "add it to the package and run the function again"
	}
	holds := fmt.Sprintf("The %s holds no %s", where(mode), p.Target().Kind)
	if len(held) > maxHeld {
		held = append(held[:maxHeld], fmt.Sprintf("and %d more", len(held)-maxHeld))
	}
	if len(held) > 0 {
		holds = fmt.Sprintf("The %s holds %s %s", where(mode), p.Target().Kind, strings.Join(held, ", "))
	}
	return &fn.Result{
		Severity: fn.Error,
		Message: fmt.Sprintf("%s: %s is not in the %s, so it cannot be patched (%s); %s. %s. Fix: %s%s%s",
			c.Name, p.Target(), where(mode), p.Summary(), brokenWithout[c.Name], holds, fix, elsewhereFix[c.Name], renameFix[c.Name]),
		ResourceRef: ref(p.Target()),
	}
}

// maxHeld bounds the list of held objects a message names.
const maxHeld = 8

// renameFix is the way out when the object is there under another name.
var renameFix = map[string]string{
	"logout": "; or, when the dashboard's VirtualService has another name, set spec.logout.virtualService to it",
}

func where(mode Mode) string {
	if mode == Components {
		return "package"
	}
	return "stream"
}

// externalIstio tells a user with spec.istio.managedBy: external what to add to their Istio.
func externalIstio(c api.AuthConfig) (*fn.Result, error) {
	snippet, err := generators.IstioInstallSnippet(c)
	if err != nil {
		return nil, err
	}
	return &fn.Result{
		Severity: fn.Warning,
		Message: fmt.Sprintf("istio-external-auth: spec.istio.managedBy is external, so the mesh config and istiod are not patched; add the %s extension provider and istiod's %s where Istio is installed, or istiod turns the CUSTOM policy into deny-all (every request 403):\n%s",
			c.Spec.Istio.ProviderName, "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL", snippet),
		Field: &fn.Field{Path: "spec.istio.managedBy"},
	}, nil
}

// holdsAnyTarget reports whether the package holds at least one object the components patch:
// then it is the install being rendered for, and a missing target is refused. A package with
// none of them (the CLI's render, `make render`) gets components for kubeflow/manifests, whose
// ConfigMap and Deployment patches name their target, so kustomize fails on a missing one
// instead of skipping it (see generators.KustomizePatch.ByName).
func (s *stream) holdsAnyTarget(comps []generators.Component) bool {
	for _, c := range comps {
		for _, p := range c.Patches {
			if s.find(p.Target()) != nil {
				return true
			}
		}
	}
	return false
}
