package api

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	type scenario struct {
		doc  string
		want []string // "path: message fragment"
	}
	for name, sc := range map[string]scenario{
		"valid": {doc: "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: a, annotations: {x: z}}\nspec: {publicURL: https://a.example.com}\n"},
		"misspelled fields, all reported": {
			doc:  "kind: AuthConfig\nspec:\n  publicUrl: x\n  oauth2Proxy: {cookie: {secrue: true}}\n",
			want: []string{`spec.oauth2Proxy.cookie.secrue: unknown field; did you mean "secure"?`, `spec.publicUrl: unknown field; did you mean "publicURL"?`},
		},
		"unknown with no close match lists the fields": {doc: "spec:\n  gateway: {zzzzzzzzzz: 1}\n", want: []string{"spec.gateway.zzzzzzzzzz: unknown field; known fields: api, name, namespace, selector"}},
		"wrong types": {
			doc:  "spec:\n  oauth2Proxy: {replicas: two, emailDomains: x}\n  machineIssuers: {issuer: a}\n  dex: {clients: [{id: 1, public: \"yes\"}]}\n",
			want: []string{"spec.dex.clients[0].id: must be a string", "spec.dex.clients[0].public: must be true or false", "spec.machineIssuers: must be a list", "spec.oauth2Proxy.emailDomains: must be a list", "spec.oauth2Proxy.replicas: must be a whole number"},
		},
		"fractional replicas":     {doc: "spec: {oauth2Proxy: {replicas: 1.5}}\n", want: []string{"spec.oauth2Proxy.replicas: must be a whole number"}},
		"not YAML":                {doc: "spec: [", want: []string{"(document): is not valid YAML"}},
		"a list":                  {doc: "- a\n", want: []string{"(document): must be a YAML mapping"}},
		"non UTF-8":               {doc: "spec: {publicURL: \"\xff\"}\n", want: []string{"(document): is not valid UTF-8"}},
		"huge":                    {doc: "spec: {publicURL: \"" + strings.Repeat("a", MaxInputBytes) + "\"}\n", want: []string{"(document): is 1048598 bytes, over the 1048576 byte limit"}},
		"null sections are unset": {doc: "spec:\n  dex:\n  oidc: null\n"},
		"duplicate keys name both lines": {
			doc:  "spec:\n  publicURL: a\n  gateway: {selector: {app: x, app: y}}\n  publicURL: b\n",
			want: []string{"spec.gateway.selector.app: is given twice on line 3 (columns 24 and 32)", "spec.publicURL: is given twice, at line 2 and at line 4"},
		},
		"int32 range":           {doc: "spec: {oauth2Proxy: {replicas: 3000000000}}\n", want: []string{"spec.oauth2Proxy.replicas: must be a whole number, got the number 3000000000"}},
		"custom tag":            {doc: "spec: {publicURL: !url x}\n", want: []string{"spec.publicURL: must be a string, got a value tagged !url"}},
		"merge key":             {doc: "base: &b {publicURL: x}\nspec:\n  <<: *b\n", want: []string{"base: unknown field", "spec: has a key that is a merge key <<"}},
		"aliases are followed":  {doc: "metadata: {name: &n a, labels: {x: *n}}\n"},
		"two documents":         {doc: "kind: AuthConfig\nmetadata: {name: a}\n---\nkind: AuthConfig\nmetadata: {name: b}\n", want: []string{`(document): holds 2 YAML documents (AuthConfig "a" at line 1, AuthConfig "b" at line 4)`}},
		"tabs: line and column": {doc: "spec:\n  gateway:\n  \tname: x\n", want: []string{"(document): line 3, column 3: a tab indents this line"}},
		"billion laughs":        {doc: laughs(), want: []string{"(document): expands to more than 100000 values", "x: unknown field", "y: unknown field"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, errs := Decode([]byte(sc.doc))
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(sc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(sc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], sc.want[i]) {
					t.Errorf("error %d:\n%s", i, cmp.Diff(sc.want[i], got[i]))
				}
			}
		})
	}
}

func TestDefaultsReproduceKubeflow(t *testing.T) {
	c := valid().Spec
	for name, pair := range map[string][2]string{
		"dex namespace": {c.Dex.Namespace, "auth"},
		"proxy ns":      {c.OAuth2Proxy.Namespace, "oauth2-proxy"},
		"gateway ns":    {c.Gateway.Namespace, "istio-system"},
		"user header":   {c.IdentityHeaders.User.Header, "kubeflow-userid"},
		"groups header": {c.IdentityHeaders.Groups.Header, "kubeflow-groups"},
		"cookie":        {c.OAuth2Proxy.Cookie.Name, "oauth2_proxy_kubeflow"},
		"cookie expire": {c.OAuth2Proxy.Cookie.Expire, "24h"},
		"image":         {c.OAuth2Proxy.Image, "quay.io/oauth2-proxy/oauth2-proxy:v7.15.3"},
		"issuer":        {c.OIDC.IssuerURL, "http://dex.auth.svc.cluster.local:5556/dex"},
		"redirect":      {c.OAuth2Proxy.RedirectURL, "https://kubeflow.example.com/oauth2/callback"},
		"api routes":    {strings.Join(c.OAuth2Proxy.APIRoutes, " "), "/api/ /apis/ ^/ml_metadata"},
		"public paths":  {strings.Join(c.PublicPaths, " "), "/dex/"},
		"logout":        {strings.Join(c.Logout.Paths, " "), "/logout /authservice/logout"},
		"refresh":       {c.Istio.JWKSRefreshInterval, "1m"},
		"secure cookie": {boolString(*c.OAuth2Proxy.Cookie.Secure), "true"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, want %q", name, pair[0], pair[1])
		}
	}
	external := Defaulted(AuthConfig{Spec: Spec{PublicURL: "https://a.example.com", OIDC: OIDC{IssuerURL: "https://idp.example.com"}}})
	if external.Spec.Dex != nil || len(external.Spec.PublicPaths) != 0 {
		t.Errorf("an external issuer must not default Dex or its public path: %+v %v", external.Spec.Dex, external.Spec.PublicPaths)
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// TestLoadReportsEverythingOnce: decoding problems and validation problems
// come together, and a field that failed to decode is not reported again
// by validation.
func TestLoadReportsEverythingOnce(t *testing.T) {
	doc := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: a}\nspec:\n" +
		"  publicUrl: https://a.example.com\n" + // unknown; publicURL is not also "required"
		"  oauth2Proxy: {replicas: two, cookie: {expire: 1h, refresh: 2h}}\n" +
		"  dex: {clients: [{id: 7, redirectURIs: x}]}\n" // id and redirectURIs are not also "required"
	_, errs := Load([]byte(doc))
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	want := []string{"spec.dex.clients[0].id", "spec.dex.clients[0].redirectURIs", "spec.dex.clients[0].secretRef", "spec.oauth2Proxy.cookie.refresh", "spec.oauth2Proxy.replicas", "spec.publicUrl"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s\n%v", diff, errs)
	}
}

// laughs is a small document whose aliases expand to 10^6 strings along the
// types: 1000 machine issuers, each with the same 1000 audiences.
func laughs() string {
	var b strings.Builder
	b.WriteString("x: &aud [")
	for i := 0; i < 1000; i++ {
		b.WriteString("a, ")
	}
	b.WriteString("a]\ny: &m {issuer: https://i.example.com, audiences: *aud}\nspec:\n  machineIssuers: [")
	for i := 0; i < 1000; i++ {
		b.WriteString("*m, ")
	}
	b.WriteString("*m]\n")
	return b.String()
}

func TestLoadCapsTheErrorCount(t *testing.T) {
	doc := "spec:\n  publicPaths: [" + strings.Repeat("[], ", 500) + "[]]\n"
	_, errs := Load([]byte(doc))
	if len(errs) != MaxErrors+1 || !strings.Contains(errs[MaxErrors].Message, "more problems") {
		t.Fatalf("got %d errors, want %d and a count of the rest; last: %v", len(errs), MaxErrors+1, errs[len(errs)-1])
	}
}

// TestMisspelledSectionKeepsInnerProblems: a misspelled section is reported,
// and a problem inside the defaulted section it probably meant is still
// reported (the fields there were not decoded, so nothing explains it).
func TestMisspelledSectionKeepsInnerProblems(t *testing.T) {
	doc := "apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: a}\nspec:\n" +
		"  publicURL: https://a.example.com\n  oidc: {scopes: [openid]}\n  oauth2proxy: {replicas: 1}\n"
	_, errs := Load([]byte(doc))
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if diff := cmp.Diff([]string{"spec.oauth2Proxy.cookie.refresh", "spec.oauth2proxy"}, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s\n%v", diff, errs)
	}
}
