package api

import "testing"

// TestLoadCarriesParsedURLs: the URLs the generators take apart come from
// Load's one parse; Decode and Defaulted alone carry none, so a caller that
// skips validation cannot reach the generators with an unparsed URL.
func TestLoadCarriesParsedURLs(t *testing.T) {
	doc := []byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: a}\nspec:\n" +
		"  publicURL: https://kf.example.com:8443\n" +
		"  dex: {issuerURL: http://dex.auth.svc.cluster.local:5556/dex}\n" +
		"  logout: {endSessionURL: https://idp.example.com/logout}\n")
	c, errs := Load(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	u := c.Spec.URLs()
	for name, tc := range map[string]struct{ got, want string }{
		"public host":      {u.Public.Host, "kf.example.com:8443"},
		"dex issuer path":  {u.DexIssuer.Path, "/dex"},
		"end-session host": {u.EndSession.Host, "idp.example.com"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", name, tc.got, tc.want)
		}
	}

	decoded, _ := Decode(doc)
	if got := Defaulted(decoded).Spec.URLs(); got.Public != nil || got.DexIssuer != nil || got.EndSession != nil {
		t.Errorf("Decode + Defaulted carry parsed URLs %+v; only Load may", got)
	}
	if _, errs := Load([]byte("apiVersion: meshauth.dev/v1alpha1\nkind: AuthConfig\nmetadata: {name: a}\nspec: {publicURL: kf.example.com}\n")); len(errs) == 0 {
		t.Error("Load accepted a publicURL without a scheme")
	}
}
