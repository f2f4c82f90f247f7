package importer

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"meshauth.dev/meshauth/fn/api"
	"meshauth.dev/meshauth/fn/outputcheck"
)

// corpusDir is the shared corpus, at ../shared relative to the repo root
// (as CI sees it); fn/outputcheck's corpus test reads the same files.
var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus", "kubeflow-manifests")

type scenario struct {
	input     string // a file or directory; corpus: prefix for the shared corpus
	publicURL string
	// wanted substrings of report lines, per part ("setting" or "Object field").
	carried, changed, inexpressible, missing []string
	// spec checks of the AuthConfig written.
	check func(t *testing.T, c api.AuthConfig)
}

var scenarios = map[string]scenario{
	"kubeflow example (auth parts of example/)": {
		input:   "corpus:example-auth.yaml",
		carried: []string{"mesh provider service", "istiod PILOT_JWT_PUB_KEY_REFRESH_INTERVAL", "oauth2-proxy cookie_name", "gateway selector", "dex issuer"},
		changed: []string{"mesh provider timeout: 600s (Istio's default, unset) → 10s", "oauth2-proxy skip_auth_routes", "public paths", "oauth2-proxy redirect_url: /oauth2/callback →", "oauth2-proxy skip_jwt_bearer_tokens"},
		missing: []string{"the public URL", "oauth2-proxy's client id"},
		check: func(t *testing.T, c api.AuthConfig) {
			s := c.Spec
			if s.Dex == nil || s.Dex.Namespace != "auth" || s.Istio.ManagedBy != "" || !slices.Equal(s.PublicPaths, []string{"/dex/"}) || s.OAuth2Proxy.Cookie.Name != "oauth2_proxy_kubeflow" {
				t.Errorf("spec = %+v", s)
			}
		},
	},
	"kubeflow oauth2-proxy m2m-dex-only": {
		input:   "corpus:oauth2-proxy-m2m-dex-only.yaml",
		carried: []string{"route /oauth2/", "CUSTOM provider", "oauth2-proxy cookie_expire"},
		changed: []string{"public paths", "DENY without a verified JWT", "envoyfilter meshauth-identity-headers"},
		missing: []string{"Dex's config", "the mesh ConfigMap (istio-system/istio, key mesh) and istiod's Deployment", "the dashboard VirtualService"},
		check: func(t *testing.T, c api.AuthConfig) {
			if c.Spec.Istio.ManagedBy != api.ManagedByExternal {
				t.Errorf("managedBy = %q, want external (no mesh ConfigMap in the install)", c.Spec.Istio.ManagedBy)
			}
		},
	},
	"kubeflow oauth2-proxy m2m-dex-and-kind": {
		input:         "corpus:oauth2-proxy-m2m-dex-and-kind.yaml",
		carried:       []string{"jwt https://kubernetes.default.svc jwksUri", "jwt https://kubernetes.default.svc.cluster.local outputClaimToHeaders"},
		changed:       []string{"oauth2-proxy ssl_insecure_skip_verify", "oauth2-proxy skip_jwt_bearer_tokens"},
		inexpressible: []string{"oauth2-proxy custom_sign_in_logo", "oauth2-proxy banner"},
		check: func(t *testing.T, c api.AuthConfig) {
			if len(c.Spec.MachineIssuers) != 2 || c.Spec.MachineIssuers[0].JWKSURI == "" || c.Spec.MachineIssuers[0].UserClaim != "sub" {
				t.Errorf("machineIssuers = %+v", c.Spec.MachineIssuers)
			}
		},
	},
	"the blog's stack": {
		input:         "testdata/blog/install.yaml",
		carried:       []string{"mesh provider service", "gateway namespace", "oauth2-proxy cookie_samesite", "dex issuer"},
		changed:       []string{"dex client oauth2-proxy secret: written in ConfigMap auth/dex", "mesh provider timeout", "mesh provider headersToUpstreamOnAllow", "logout /logout: /oauth2/sign_out →", "route /oauth2/: oauth2-proxy.auth.svc.cluster.local:5556 → oauth2-proxy.auth.svc.cluster.local:80"},
		inexpressible: []string{"oauth2-proxy provider_ca_files"},
		check: func(t *testing.T, c api.AuthConfig) {
			s := c.Spec
			if s.PublicURL != "https://192.168.50.150" || s.Gateway.Namespace != "ingress" || s.Gateway.Name != "ingress/ingress-gateway" || s.Dex.IssuerURL != "https://192.168.50.150/dex" || s.OAuth2Proxy.Namespace != "auth" {
				t.Errorf("spec = %+v", s)
			}
			if s.Logout.VirtualService != (api.ObjectRef{Namespace: "kubeflow", Name: "centraldashboard"}) || !slices.Equal(s.Logout.Paths, []string{"/logout"}) {
				t.Errorf("logout = %+v", s.Logout)
			}
		},
	},
	"the Kubeflow doc's Azure patch": {
		input:   "testdata/azure",
		carried: []string{"oauth2-proxy cookie_refresh", "oauth2-proxy scope", "jwt https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0 outputClaimToHeaders"},
		changed: []string{"jwt https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0 audiences"},
		check: func(t *testing.T, c api.AuthConfig) {
			s := c.Spec
			if s.Dex != nil || s.OIDC.Provider != api.ProviderEntra || s.PublicURL != "https://kubeflow.contoso.com" || s.OAuth2Proxy.Cookie.Refresh != "59m" {
				t.Errorf("spec = %+v", s)
			}
		},
	},
	"settings meshauth cannot express": {
		input:         "testdata/inexpressible/install.yaml",
		publicURL:     "https://apps.example.org",
		carried:       []string{"oauth2-proxy cookie_expire", "mesh provider timeout", "istiod PILOT_JWT_PUB_KEY_REFRESH_INTERVAL"},
		changed:       []string{"oauth2-proxy cookie_secret: written in Deployment oauth2-proxy/oauth2-proxy"},
		inexpressible: []string{"AuthorizationPolicy istio-system/opa-ext-authz: spec.provider.name", "EnvoyFilter istio-system/lua-add-header: spec.configPatches[0].patch.value", "oauth2-proxy pass_access_token", "AuthorizationPolicy istio-system/oauth2-proxy-ext-authz: spec.rules[0].to[0].operation.hosts"},
		check: func(t *testing.T, c api.AuthConfig) {
			s := c.Spec
			if s.PublicURL != "https://apps.example.org" || s.Istio.ProviderName != "oauth2-proxy" || s.OAuth2Proxy.Cookie.Expire != "12h" || s.Istio.ExtAuthzTimeout != "3s" {
				t.Errorf("spec = %+v", s)
			}
		},
	},
	"the upstream Helm charts, Dex's config in a Secret": {
		input:   "testdata/helm/install.yaml",
		carried: []string{"oauth2-proxy oidc_issuer_url", "oauth2-proxy client_secret"},
		missing: []string{"Dex's config is in Secret auth/dex (the Dex Helm chart's way), which import never reads", "no CUSTOM AuthorizationPolicy"},
		check: func(t *testing.T, c api.AuthConfig) {
			if c.Spec.Dex == nil || c.Spec.Dex.Deployment != "dex" || c.Spec.Dex.IssuerURL != "https://192.168.50.150/dex" {
				t.Errorf("dex = %+v", c.Spec.Dex)
			}
		},
	},
	"oauth2-proxy with an alpha config": {
		input:         "testdata/alpha/install.yaml",
		carried:       []string{"oauth2-proxy client_id", "oauth2-proxy oidc_issuer_url"},
		inexpressible: []string{"ConfigMap oauth2-proxy/oauth2-proxy-alpha: data[oauth2_proxy.yml].injectResponseHeaders"},
		check: func(t *testing.T, c api.AuthConfig) {
			if c.Spec.OAuth2Proxy.ClientID != "kubeflow" || c.Spec.OIDC.Provider != api.ProviderKeycloak {
				t.Errorf("spec = %+v", c.Spec)
			}
		},
	},
}

func (sc scenario) read(t *testing.T) []*yaml.RNode {
	t.Helper()
	in := sc.input
	if f, ok := strings.CutPrefix(in, "corpus:"); ok {
		in = filepath.Join(corpusDir, f)
		if _, err := os.Stat(in); err != nil {
			t.Skipf("corpus not available at %s", corpusDir)
		}
	}
	objs, err := Read(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestImport(t *testing.T) {
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			objs := sc.read(t)
			res, err := Import(objs, Options{PublicURL: sc.publicURL})
			if err != nil {
				t.Fatal(err)
			}
			var report bytes.Buffer
			if err := res.Report.Write(&report); err != nil {
				t.Fatal(err)
			}
			if testing.Verbose() {
				t.Logf("%s\n%s", res.AuthConfig, report.String())
			}
			c, errs := api.Decode(res.AuthConfig)
			if len(errs) > 0 {
				t.Fatalf("the AuthConfig written does not decode strictly: %v", errs)
			}
			if _, errs := api.Load(res.AuthConfig); len(errs) > 0 {
				t.Fatalf("the AuthConfig written does not load: %v", errs)
			}
			wantLines(t, "carried", lines(res.Report.Carried), sc.carried)
			wantLines(t, "changed", lines(res.Report.Changed), sc.changed)
			wantLines(t, "inexpressible", lines(res.Report.Inexpressible), sc.inexpressible)
			wantLines(t, "missing", lines(res.Report.Missing), sc.missing)
			if sc.check != nil {
				sc.check(t, c)
			}
			noSecretValues(t, objs, string(res.AuthConfig)+report.String())
		})
	}
}

// TestRoundTrip: import, then render the AuthConfig written (decoded from
// its YAML, as a user would) over the same install. The render passes the
// output checks (one identity, oauth2-proxy options, Dex schema, routes),
// and its effective settings equal the install's except where the report
// says: every setting that differs is in the report's changes or among
// what cannot be expressed, and every one it calls carried is equal.
func TestRoundTrip(t *testing.T) {
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			roundTrip(t, sc.read(t), Options{PublicURL: sc.publicURL})
		})
	}
}

// TestRoundTripCombined: the corpus's pieces put together as one install
// (Istio with its mesh provider, Dex, oauth2-proxy, the dashboard), the
// newest Kubeflow layout, and the upstream Helm charts' output where built.
func TestRoundTripCombined(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "corpus")
	tests := map[string][]string{
		"kubeflow: istio + dex + oauth2-proxy + dashboard": {"kubeflow-manifests/istio-install-oauth2-proxy.yaml", "kubeflow-manifests/dex-overlay-istio.yaml", "kubeflow-manifests/oauth2-proxy-m2m-dex-and-kind.yaml", "kubeflow-manifests/centraldashboard-upstream-kserve.yaml"},
		"kubeflow: the insecure istio overlay + dex":       {"kubeflow-manifests/istio-install-insecure.yaml", "kubeflow-manifests/dex-base.yaml", "kubeflow-manifests/oauth2-proxy-component-istio-external-auth.yaml"},
		"community-distribution (2026-06)":                 {"community-distribution/istio-install-base.yaml", "community-distribution/dex-overlay-istio.yaml", "community-distribution/dashboard-istio.yaml", "community-distribution/kubeflow-istio-resources.yaml", "kubeflow-manifests/oauth2-proxy-m2m-dex-only.yaml"},
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			var all []byte
			for _, f := range files {
				data, err := os.ReadFile(filepath.Join(shared, f))
				if err != nil {
					t.Skipf("corpus not available: %v", err)
				}
				all = append(append(all, data...), "\n---\n"...)
			}
			objs, err := Parse(all)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, objs, Options{})
		})
	}
}

// roundTrip imports objs, renders the AuthConfig written (decoded from
// its YAML, as a user would) over the same install, runs the output checks
// on the render, and requires every effective setting that differs to be
// in the report, and every one it calls carried to be equal.
func roundTrip(t *testing.T, objs []*yaml.RNode, opts Options) *Result {
	t.Helper()
	res, err := Import(objs, opts)
	if err != nil {
		t.Fatal(err)
	}
	loaded, errs := api.Load(res.AuthConfig)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var scratch Report
	rendered, stubbed, err := renderOver(loaded, objs, &scratch)
	if err != nil {
		t.Fatal(err)
	}
	if ps := outputcheck.Objects(rendered); len(ps) > 0 {
		t.Errorf("the render fails the output checks:\n%v", ps)
	}
	before, after := read(objs), read(rendered)
	reported := map[string]bool{}
	for _, it := range append(slices.Clone(res.Report.Changed), res.Report.Inexpressible...) {
		reported[it.Setting] = true
	}
	carried := map[string]bool{}
	for _, it := range res.Report.Carried {
		carried[it.Setting] = true
	}
	for _, k := range before.keys() {
		b, a := before.settings[k], after.settings[k]
		switch {
		case carried[k] && b.Value != a.Value:
			t.Errorf("%s: reported carried, but %q → %q", k, b.Value, a.Value)
		case b.Value != a.Value && !reported[k] && !stubbed[b.Object] && !(before.dex == nil && strings.HasPrefix(k, "dex ")):
			t.Errorf("%s: %q → %q, and the report does not say so", k, b.Value, a.Value)
		}
	}
	if len(res.Report.Carried) == 0 {
		t.Error("nothing carried over")
	}
	return res
}

// TestImportOwnRender: meshauth's own render imported gives the same
// AuthConfig back (what it renders, it reads).
func TestImportOwnRender(t *testing.T) {
	sc := scenarios["the blog's stack"]
	res, err := Import(sc.read(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := Import(res.Rendered, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Report.Changed) > 0 {
		t.Errorf("importing meshauth's own render reports changes:\n%s", lines(again.Report.Changed))
	}
}

func TestBadInput(t *testing.T) {
	tests := map[string]struct {
		input string
		want  []string
	}{
		"every problem at once": {input: "testdata/bad/install.yaml", want: []string{
			"ConfigMap auth/dex: data[config.yaml]: cannot unmarshal",
			"ConfigMap istio-system/istio: data[mesh]: invalid YAML",
			"ConfigMap oauth2-proxy/oauth2-proxy: data[oauth2_proxy.cfg]: invalid TOML",
			"Deployment oauth2-proxy/oauth2-proxy: spec.template.spec.containers[0].args: --cookie-expire: must be a duration such as 1h, got \"a day\"",
		}},
		"nothing of a stack": {input: "testdata/bad/unrelated.yaml", want: []string{
			"the input (1 objects): holds no part of an auth stack import reads",
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs, err := Read(tc.input, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Import(objs, Options{})
			ie, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v, want an *Error", err)
			}
			got := strings.Split(ie.Error(), "\n")
			if len(got) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(tc.want), ie.Error())
			}
			for i, w := range tc.want {
				if i < len(got) && !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
				}
			}
			for _, p := range ie.Problems {
				if !strings.Contains(p.Message, "; ") && !strings.Contains(p.Message, "give it") && !strings.Contains(p.Message, "must be") {
					t.Errorf("%s: says no fix", p)
				}
			}
		})
	}
}

func TestReadMalformed(t *testing.T) {
	_, err := Parse([]byte("kind: ConfigMap\nmetadata:\n    -\n---\napiVersion: v1\nkind: List\nitems:\n- kind: [a]\n"))
	want := "document 1: metadata must be a mapping (name, namespace, labels, annotations); fix the object\ndocument 2, items[0]: kind must be a string; fix the object"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want\n%s", err, want)
	}
}

func TestReadList(t *testing.T) {
	objs, err := Parse([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: b}\n- apiVersion: v1\n  kind: ConfigMapList\n  items: []\n"))
	if err != nil || len(objs) != 2 || objs[0].GetName() != "a" {
		t.Fatalf("objs = %v, err = %v", objs, err)
	}
}

func lines(items []Item) []string {
	var out []string
	for _, it := range items {
		var b strings.Builder
		Report{Changed: []Item{it}}.Write(&b)
		l := b.String()
		l = l[strings.Index(l, "## 2.")+len("## 2. What the AuthConfig will change, and why\n\n- "):]
		out = append(out, strings.TrimSpace(strings.SplitN(l, "\n", 2)[0]), it.Setting, it.Object+": "+it.Field, it.Why)
	}
	return out
}

func wantLines(t *testing.T, part string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool {
			return strings.HasPrefix(g, w) || strings.Contains(g, w) && strings.HasPrefix(w, "missing")
		}) && !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("%s: no line with %q", part, w)
		}
	}
}

// noSecretValues: no value of a Secret in the install, and no secret
// written in a ConfigMap, appears in what import writes.
func noSecretValues(t *testing.T, objs []*yaml.RNode, out string) {
	t.Helper()
	var values []string
	for _, o := range objs {
		if o.GetKind() != "Secret" {
			continue
		}
		for k, v := range o.GetDataMap() {
			if dec, err := base64.StdEncoding.DecodeString(v); err == nil && (strings.Contains(k, "secret") || strings.Contains(k, "password")) {
				values = append(values, string(dec))
			}
		}
	}
	values = append(values, "LG7jUjNiyVDPJdlarO5Mgz3CxS7kNL/1OZ0spRsL", "opa-shared-secret-value")
	for _, v := range values {
		if strings.Contains(out, v) {
			t.Errorf("a secret value appears in import's output")
		}
	}
}

// TestImportTolerates: what Dex, istiod and oauth2-proxy themselves read
// despite a mistake, import reads too; the mistake is a note, not a refusal.
func TestImportTolerates(t *testing.T) {
	data, err := os.ReadFile("testdata/blog/install.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ old, new, note string }{
		"a Dex key Dex ignores":                         {"skipApprovalScreen", "skipAprovalScreen", "ConfigMap auth/dex data[config.yaml].oauth2.skipAprovalScreen: the output checks find this in the install: unknown field"},
		"a mesh key istiod drops":                       {"enablePrometheusMerge: true", "enablePrometheusMerg: true", "ConfigMap istio-system/istio data[mesh].enablePrometheusMerg: the output checks find this in the install: unknown field"},
		"a client secret written into oauth2_proxy.cfg": {`oidc_issuer_url = "https://192.168.50.150/dex"`, "oidc_issuer_url = \"https://192.168.50.150/dex\"\n    client_secret = \"hunter22-in-a-configmap\"", "oauth2-proxy client_secret (in the config file): written in ConfigMap auth/oauth2-proxy → in no ConfigMap"},
		"a password in a Redis URL":                     {`cookie_samesite = "lax"`, "cookie_samesite = \"lax\"\n    session_store_type = \"redis\"\n    redis_connection_url = \"redis://:hunter22@redis.auth:6379\"", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if strings.Count(string(data), tc.old) != 1 {
				t.Fatalf("%q must occur once", tc.old)
			}
			objs, err := Parse([]byte(strings.Replace(string(data), tc.old, tc.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(objs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			res.Report.Write(&b)
			if tc.note != "" && !strings.Contains(b.String(), tc.note) {
				t.Errorf("report lacks the note %q:\n%s", tc.note, b.String())
			}
			if strings.Contains(b.String()+string(res.AuthConfig), "hunter22") {
				t.Error("a secret leaves import")
			}
		})
	}
}

// TestImportKubectlList: what kubectl get -o yaml prints (a List, with
// status, managedFields, uids and last-applied annotations) imports as
// the manifests do.
func TestImportKubectlList(t *testing.T) {
	objs, err := Read("testdata/blog/install.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Import(objs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n")
	for _, o := range objs {
		n := o.Copy()
		applied := n.MustString()
		if err := n.PipeE(yaml.SetAnnotation("kubectl.kubernetes.io/last-applied-configuration", applied)); err != nil {
			t.Fatal(err)
		}
		for _, f := range [][2]string{{"uid", "0c2f"}, {"resourceVersion", "12345"}, {"creationTimestamp", "2026-01-02T03:04:05Z"}} {
			if err := n.PipeE(yaml.LookupCreate(yaml.MappingNode, "metadata"), yaml.SetField(f[0], yaml.NewStringRNode(f[1]))); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.PipeE(yaml.SetField("status", yaml.NewMapRNode(nil))); err != nil {
			t.Fatal(err)
		}
		s, err := n.String()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("- " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n")
	}
	listed, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(objs) {
		t.Fatalf("%d objects in the List, want %d", len(listed), len(objs))
	}
	got, err := Import(listed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.AuthConfig) != string(plain.AuthConfig) {
		t.Errorf("the List imports differently:\n%s\nwant\n%s", got.AuthConfig, plain.AuthConfig)
	}
	var rep bytes.Buffer
	got.Report.Write(&rep)
	if strings.Contains(rep.String()+string(got.AuthConfig), "LG7jUjNiyVDPJdlarO5Mgz3CxS7kNL/1OZ0spRsL") {
		t.Error("a secret from a last-applied annotation leaves import")
	}
}

func TestShort(t *testing.T) {
	for in, want := range map[string]string{"24h0m0s": "24h", "59m0s": "59m", "0s": "0s", "1h30m0s": "1h30m", "10s": "10s", "1m0s": "1m", "1.5s": "1.5s", "1h0m5s": "1h0m5s"} {
		if got := short(in); got != want {
			t.Errorf("short(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestImportOwnComponents: meshauth's own output for every golden case
// (testdata/cases/*/components.golden.yaml, components mode) imports with
// nothing to change but what the components do not hold as objects: the
// dashboard route (a patch), and with the Dex config a patch too, the Dex
// clients an audience names.
func TestImportOwnComponents(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/cases/*")
	ran := 0
	for _, dir := range dirs {
		golden := filepath.Join(dir, "components.golden.yaml")
		cfg, err := os.ReadFile(filepath.Join(dir, "authconfig.yaml"))
		if err != nil {
			continue
		}
		want, errs := api.Load(cfg)
		out, _ := os.ReadFile(golden)
		if len(errs) > 0 || !bytes.Contains(out, []byte("app.kubernetes.io/managed-by: meshauth")) {
			continue // an invalid or refused case has no output of meshauth's
		}
		if want.Spec.Gateway.GatewayAPI() {
			// import reads the classic Istio ingress (VirtualServices,
			// selector policies); HTTPRoutes and targetRefs are not read yet
			// (docs/import.md).
			continue
		}
		if len(want.Spec.Access.Rules)+len(want.Spec.Access.Hosts) > 0 {
			// import does not read access rules back yet (docs/import.md).
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs, err := Read(golden, nil)
			if err != nil {
				t.Fatal(err)
			}
			ran++
			res := roundTrip(t, objs, Options{PublicURL: want.Spec.PublicURL})
			for _, it := range res.Report.Changed {
				switch {
				case strings.HasPrefix(it.Setting, "logout "):
				case len(want.Spec.OIDC.Audiences) > 0 && (strings.HasPrefix(it.Setting, "jwt ") || strings.HasPrefix(it.Setting, "spec.oidc.audiences")):
				default:
					t.Errorf("importing meshauth's own output changes %s: %q → %q (%s)", it.Setting, it.Was, it.Becomes, it.Why)
				}
			}
			got, _ := api.Load(res.AuthConfig)
			if got.Spec.Authorizer != want.Spec.Authorizer || got.Spec.OIDC.IssuerURL != want.Spec.OIDC.IssuerURL || got.Spec.OAuth2Proxy.ClientID != want.Spec.OAuth2Proxy.ClientID || got.Spec.OIDC.Provider != want.Spec.OIDC.Provider {
				t.Errorf("imported authorizer %q issuer %q client %q provider %q, want %q %q %q %q", got.Spec.Authorizer, got.Spec.OIDC.IssuerURL, got.Spec.OAuth2Proxy.ClientID, got.Spec.OIDC.Provider, want.Spec.Authorizer, want.Spec.OIDC.IssuerURL, want.Spec.OAuth2Proxy.ClientID, want.Spec.OIDC.Provider)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no golden case found")
	}
}
