package generators

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
)

// jwksRefreshEnv is the istiod environment variable the istiod-jwt-refresh component sets.
const jwksRefreshEnv = "PILOT_JWT_PUB_KEY_REFRESH_INTERVAL"

// IstioInstallSnippet is what a user whose Istio is installed elsewhere (spec.istio.managedBy:
// external) adds there instead of the mesh ConfigMap and istiod patches: the extension provider
// and istiod's JWKS refresh, once as an IstioOperator and once as values of the istiod Helm chart.
// It holds no secret: the provider is a service address and header names.
func IstioInstallSnippet(c api.AuthConfig) (string, error) {
	provider, err := extensionProvider(c.Spec)
	if err != nil {
		return "", err
	}
	// meshConfig and pilot.env are the same keys in both: the IstioOperator nests the
	// chart values under spec.values.
	mesh := func() *yaml.RNode {
		m := yaml.NewMapRNode(nil)
		_ = m.PipeE(yaml.SetField("extensionProviders", yaml.NewListRNode()))
		m.Field("extensionProviders").Value.YNode().Content = []*yaml.Node{provider.Copy().YNode()}
		return m
	}
	pilot := func() *yaml.RNode {
		return yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			yaml.NewScalarRNode("env").YNode(), Fields(jwksRefreshEnv, c.Spec.Istio.JWKSRefreshInterval).YNode(),
		}})
	}
	op := Fields("apiVersion", "install.istio.io/v1alpha1", "kind", "IstioOperator")
	spec := yaml.NewMapRNode(nil)
	values := yaml.NewMapRNode(nil)
	helm := yaml.NewMapRNode(nil)
	for _, step := range []error{
		spec.PipeE(yaml.SetField("meshConfig", mesh())),
		values.PipeE(yaml.SetField("pilot", pilot())),
		spec.PipeE(yaml.SetField("values", values)),
		op.PipeE(yaml.SetField("spec", spec)),
		helm.PipeE(yaml.SetField("meshConfig", mesh())),
		helm.PipeE(yaml.SetField("pilot", pilot())),
	} {
		if step != nil {
			return "", step
		}
	}
	opText, err := op.String()
	if err != nil {
		return "", err
	}
	helmText, err := helm.String()
	if err != nil {
		return "", err
	}
	return "# IstioOperator (istioctl install -f ...): merge into yours; keep your other extensionProviders\n" + opText +
		"---\n# istiod Helm chart values (helm upgrade istiod istio/istiod -n " + c.Spec.Istio.Istiod.Namespace + " -f ...): merge into yours\n" + helmText, nil
}
