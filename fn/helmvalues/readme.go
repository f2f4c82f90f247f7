package helmvalues

import (
	"fmt"
	"strings"
)

// helmVersionArg is what `helm upgrade --version` takes for a supported
// version: a release line "1.31.x" becomes the constraint "~1.31.0".
func helmVersionArg(v string) string {
	if line, ok := strings.CutSuffix(v, ".x"); ok {
		return "~" + line + ".0"
	}
	return v
}

// readme says, one line per file, where each file goes.
func (b *builder) readme(v map[string]string, dex bool, routes []string) string {
	s := b.c.Spec
	var w strings.Builder
	fmt.Fprintf(&w, "# meshauth for Helm: AuthConfig %q\n\n", b.c.Metadata.Name)
	fmt.Fprintf(&w, "Written by `authconfig-fn render --helm`; edit the AuthConfig and re-render, not these files.\n")
	fmt.Fprintf(&w, "One line per file, in the order to run them (`helm repo add` names: ")
	var repos []string
	for _, name := range []string{"istiod", "dex", "oauth2-proxy"} {
		if name == "dex" && !dex {
			continue
		}
		ch := Charts[name]
		repos = append(repos, fmt.Sprintf("`%s` %s", strings.Split(ch.Ref, "/")[0], ch.Repo))
	}
	fmt.Fprintf(&w, "%s). With values of your own, put `-f yours.yaml` before meshauth's file: the later file wins, and lists (such as `meshConfig.extensionProviders`) are replaced, not merged, so pass yours to `render --helm` with `--istiod-values`/`--dex-values` instead.\n\n", strings.Join(repos, ", "))

	line := func(file, cmd string, note ...string) {
		fmt.Fprintf(&w, "- `%s` → `%s`%s\n", file, cmd, strings.Join(note, ""))
	}
	line(IstiodValuesFile, fmt.Sprintf("helm upgrade --install istiod istio/istiod --version %s -n %s --create-namespace -f %s", helmVersionArg(v["istiod"]), s.Istio.Istiod.Namespace, IstiodValuesFile))
	line(ExtrasFile, "kubectl apply --server-side -f "+ExtrasFile, " (after Istio's CRDs, which the istio/base chart installs; no chart carries these: the AuthorizationPolicies, RequestAuthentications, the header-stripping EnvoyFilter"+map[bool]string{true: ", check-server", false: ""}[s.Authorizer == "check-server"]+", oauth2-proxy's Namespace)")
	if dex {
		line(DexValuesFile, fmt.Sprintf("helm upgrade --install dex dex/dex --version %s -n %s --create-namespace -f %s", helmVersionArg(v["dex"]), s.Dex.Namespace, DexValuesFile))
	}
	line(OAuth2ProxyValuesFile, fmt.Sprintf("helm upgrade --install oauth2-proxy oauth2-proxy/oauth2-proxy --version %s -n %s --create-namespace -f %s", helmVersionArg(v["oauth2-proxy"]), s.OAuth2Proxy.Namespace, OAuth2ProxyValuesFile))
	if len(routes) > 0 {
		fmt.Fprintf(&w, "- `%s/kustomization.yaml` → no `helm upgrade`: a kustomize Component; list `%s` under `components:` of the kustomization that holds %s\n", RoutesDir, RoutesDir, s.Logout.VirtualService.Namespace+"/"+s.Logout.VirtualService.Name)
	}
	for _, f := range routes {
		if f != "kustomization.yaml" {
			fmt.Fprintf(&w, "- `%s/%s` → part of that Component: a local-config object its replacements read, which kustomize leaves out of the build\n", RoutesDir, f)
		}
	}
	fmt.Fprintf(&w, "- `%s` → this file\n", ReadmeFile)

	fmt.Fprintf(&w, "\nSecrets the values reference (create them; no file here holds a secret):\n\n")
	p := s.OAuth2Proxy
	fmt.Fprintf(&w, "- `%s/%s` key `%s`: oauth2-proxy's client secret\n", p.Namespace, p.ClientSecretRef.Name, p.ClientSecretRef.Key)
	fmt.Fprintf(&w, "- `%s/%s` key `%s`: the cookie secret (16, 24 or 32 bytes)\n", p.Namespace, p.CookieSecretRef.Name, p.CookieSecretRef.Key)
	if dex {
		fmt.Fprintf(&w, "- `%s/%s` key `%s`: the same client secret, for Dex\n", s.Dex.Namespace, s.Dex.ClientSecretRef.Name, s.Dex.ClientSecretRef.Key)
		if b.dexBaseline {
			fmt.Fprintf(&w, "- `%s/dex-passwords` key `DEX_USER_PASSWORD` and `%s/dex-oidc-client` keys `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`: what the Kubeflow Dex config (used without `--dex-values`) reads, as kubeflow/manifests ships them\n", s.Dex.Namespace, s.Dex.Namespace)
		}
		for _, c := range s.Dex.Clients {
			if c.SecretRef != nil {
				fmt.Fprintf(&w, "- `%s/%s` key `%s`: client %s\n", s.Dex.Namespace, c.SecretRef.Name, c.SecretRef.Key, c.ID)
			}
		}
	}
	if r := p.SessionStore.Redis; r != nil {
		if r.PasswordSecretRef != nil {
			fmt.Fprintf(&w, "- `%s/%s` key `%s`: the Redis password\n", p.Namespace, r.PasswordSecretRef.Name, r.PasswordSecretRef.Key)
		}
		if r.Sentinel != nil && r.Sentinel.PasswordSecretRef != nil {
			fmt.Fprintf(&w, "- `%s/%s` key `%s`: the Redis Sentinel password\n", p.Namespace, r.Sentinel.PasswordSecretRef.Name, r.Sentinel.PasswordSecretRef.Key)
		}
		if r.CASecretRef != nil {
			fmt.Fprintf(&w, "- `%s/%s` key `%s`: the Redis CA bundle\n", p.Namespace, r.CASecretRef.Name, r.CASecretRef.Key)
		}
	}
	return w.String()
}
