// Package helmcheck proves the Helm output (`authconfig-fn render --helm`,
// fn/helmvalues) with real `helm template` (bin/helm, no cluster) of the
// upstream charts: oauth2-proxy 10.7.0 and Dex 0.24.0 as vendored unmodified
// in ../shared/charts (MESHAUTH_CHARTS overrides the folder), istiod's chart
// from the istio.io/istio module zip in the module cache. For every golden
// case with Dex and the no-Dex provider cases, the rendered release plus the
// extras manifest passes the function's own output checks (fn/outputcheck),
// carries the same effective stack as the kustomize components (compared
// object by object on what matters, not as text: the charts add their own
// labels), and oauth2-proxy's own --config-test accepts the config the chart
// mounts with the args and env the chart gives it. See docs/helm.md.
//
// The tests skip under -short; without bin/helm or bin/oauth2-proxy they
// fail saying which make target builds them.
package helmcheck
