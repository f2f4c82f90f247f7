package checkserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"meshauth.dev/meshauth/internal/testissuer"
)

// TestAttackCorpus sends hostile tokens and requests through both front
// ends; every one must be denied. The first case is the control: the same
// harness allows an honest token, so a deny is the rule's doing.
func TestAttackCorpus(t *testing.T) {
	h := newHarness(t, nil)
	k1 := h.is.Signer
	hdr := func(extra map[string]any) map[string]any {
		m := map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	claims := func(mutate map[string]any) map[string]any {
		c := h.is.Claims(audience)
		for k, v := range mutate {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	signed := func(extraHdr, mutate map[string]any) string {
		return testissuer.SignRaw(t, k1, hdr(extraHdr), claims(mutate))
	}
	now := time.Now()
	attacker := testissuer.Foreign(t, k1) // the trusted key's kid on different key material
	rotated := testissuer.NewKey(t, "old", jose.RS256)
	pubPEM := func() []byte {
		der, _ := x509.MarshalPKIXPublicKey(k1.Priv.Public())
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()
	hs256 := func(secret []byte, header map[string]any) string {
		unsigned := testissuer.Raw(t, header, claims(nil), nil)
		unsigned = strings.TrimSuffix(unsigned, ".")
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(unsigned))
		return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	good := signed(nil, nil)
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString

	type scenario struct {
		header     [][2]string
		path       string
		wantStatus int
	}
	tok := func(s string) scenario { return scenario{header: bearer(s), wantStatus: http.StatusUnauthorized} }
	tests := map[string]scenario{
		"control: honest token allowed": {header: bearer(good), wantStatus: http.StatusOK},

		// Algorithm attacks.
		"alg none":                            tok(testissuer.Raw(t, map[string]any{"alg": "none", "typ": "JWT"}, claims(nil), nil)),
		"alg None mixed case":                 tok(testissuer.Raw(t, map[string]any{"alg": "None"}, claims(nil), nil)),
		"alg none with signature":             tok(testissuer.Raw(t, map[string]any{"alg": "none"}, claims(nil), []byte("sig"))),
		"HS256 keyed with RSA public key PEM": tok(hs256(pubPEM, map[string]any{"alg": "HS256", "kid": "k1"})),
		"HS256 keyed with empty secret":       tok(hs256(nil, map[string]any{"alg": "HS256"})),
		"alg missing":                         tok(signed(map[string]any{"alg": nil}, nil)),
		"alg not allowed for issuer (RS512)":  tok(testissuer.SignRaw(t, testissuer.Key{KID: "k1", Alg: jose.RS512, Priv: k1.Priv}, hdr(map[string]any{"alg": "RS512"}), claims(nil))),
		"ES256 header over RSA key":           tok(signed(map[string]any{"alg": "ES256"}, nil)),
		"PS256 header over RS256 signature":   tok(signed(map[string]any{"alg": "PS256"}, nil)),

		// Key-selection attacks: keys or key locations chosen by the token.
		"jku header":                     tok(signed(map[string]any{"jku": "https://attacker.example/jwks"}, nil)),
		"x5u header":                     tok(signed(map[string]any{"x5u": "https://attacker.example/cert.pem"}, nil)),
		"jwk header embeds attacker key": tok(testissuer.SignRaw(t, attacker, hdr(map[string]any{"jwk": attacker.JWK()}), claims(nil))),
		"x5c header":                     tok(signed(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(h.is.Certificate().Raw)}}, nil)),
		"wrong key with trusted kid":     tok(testissuer.SignRaw(t, attacker, hdr(nil), claims(nil))),
		"rotated-out key":                tok(testissuer.SignRaw(t, rotated, hdr(map[string]any{"kid": "old"}), claims(nil))),
		"unknown kid":                    tok(signed(map[string]any{"kid": "nope"}, nil)),
		"kid of EC key with RS256":       tok(signed(map[string]any{"kid": "ec1"}, nil)),

		// Critical and structural headers.
		"unknown crit":         tok(signed(map[string]any{"crit": []string{"exp"}, "exp": 1}, nil)),
		"crit b64 false":       tok(signed(map[string]any{"crit": []string{"b64"}, "b64": false}, nil)),
		"nested JWT (cty JWT)": tok(testissuer.SignRaw(t, k1, hdr(map[string]any{"cty": "JWT"}), good)),
		"JWE compact":          tok(b64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + ".a.b.c.d"),
		"JSON serialisation":   tok(`{"payload":"` + parts[1] + `"}`),

		// Encoding attacks.
		"malformed base64 header":      tok("!!!." + parts[1] + "." + parts[2]),
		"padded base64":                tok(parts[0] + "=." + parts[1] + "." + parts[2]),
		"standard base64 alphabet":     tok(strings.ReplaceAll(parts[0], "-", "+") + "+/." + parts[1] + "." + parts[2]),
		"two parts":                    tok(parts[0] + "." + parts[1]),
		"four parts":                   tok(good + ".x"),
		"empty signature":              tok(parts[0] + "." + parts[1] + "."),
		"signature from another token": tok(parts[0] + "." + strings.Split(signed(nil, map[string]any{"email": "bob@example.com"}), ".")[1] + "." + parts[2]),
		"header not JSON":              tok(b64([]byte("hello")) + "." + parts[1] + "." + parts[2]),
		"payload not an object":        tok(testissuer.SignRaw(t, k1, hdr(nil), `["a"]`)),
		"payload a JSON string":        tok(testissuer.SignRaw(t, k1, hdr(nil), `"x.y.z"`)),
		"trailing data after claims":   tok(testissuer.SignRaw(t, k1, hdr(nil), `{"iss":"x"} {}`)),

		// Duplicate names (issue 16): encoding/json keeps the last, others the first.
		"duplicate user claim":  tok(testissuer.SignRaw(t, k1, hdr(nil), dupClaims(t, claims(nil), `"email":"admin@example.com"`))),
		"duplicate nested name": tok(testissuer.SignRaw(t, k1, hdr(nil), dupClaims(t, claims(nil), `"x":{"a":1,"a":2}`))),
		"duplicate header alg":  tok(testissuer.SignRaw(t, k1, `{"alg":"none","kid":"k1","alg":"RS256"}`, claims(nil))),

		// Claim attacks.
		"empty claims":               tok(testissuer.SignRaw(t, k1, hdr(nil), map[string]any{})),
		"exp missing":                tok(signed(nil, map[string]any{"exp": nil})),
		"expired beyond leeway":      tok(signed(nil, map[string]any{"exp": now.Add(-time.Minute).Unix()})),
		"exp as string":              tok(signed(nil, map[string]any{"exp": "9999999999"})),
		"exp huge":                   tok(signed(nil, map[string]any{"exp": 1e300})),
		"nbf in the future":          tok(signed(nil, map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})),
		"iat in the future":          tok(signed(nil, map[string]any{"iat": now.Add(5 * time.Minute).Unix()})),
		"wrong iss":                  tok(signed(nil, map[string]any{"iss": "https://evil.example"})),
		"iss with trailing slash":    tok(signed(nil, map[string]any{"iss": h.is.URL + "/"})),
		"iss missing":                tok(signed(nil, map[string]any{"iss": nil})),
		"wrong aud":                  tok(signed(nil, map[string]any{"aud": "other"})),
		"aud missing":                tok(signed(nil, map[string]any{"aud": nil})),
		"aud as number":              tok(signed(nil, map[string]any{"aud": 5})),
		"aud array without ours":     tok(signed(nil, map[string]any{"aud": []string{"a", "b"}})),
		"user claim missing":         tok(signed(nil, map[string]any{"email": nil})),
		"user claim not a string":    tok(signed(nil, map[string]any{"email": []string{"alice"}})),
		"user with header injection": tok(signed(nil, map[string]any{"email": "alice\r\nkubeflow-userid: admin"})),
		"groups as a string":         tok(signed(nil, map[string]any{"groups": "admins"})),
		"groups with non-string":     tok(signed(nil, map[string]any{"groups": []any{"dev", 1}})),
		"group containing comma":     tok(signed(nil, map[string]any{"groups": []string{"dev,admins"}})),

		// Authorization header attacks.
		"token over size cap":                  tok(signed(nil, map[string]any{"pad": strings.Repeat("a", 9000)})),
		"empty bearer":                         {header: [][2]string{{"Authorization", "Bearer "}}, wantStatus: 401},
		"basic scheme":                         {header: [][2]string{{"Authorization", "Basic YWxpY2U6c2VjcmV0"}}, wantStatus: 401},
		"bare token without scheme":            {header: [][2]string{{"Authorization", good}}, wantStatus: 401},
		"duplicate Authorization":              {header: [][2]string{{"Authorization", "Bearer " + good}, {"Authorization", "Bearer " + good}}, wantStatus: 401},
		"comma-joined Authorization":           {header: [][2]string{{"Authorization", "Bearer " + good + ", Bearer " + good}}, wantStatus: 401},
		"SA-like token unknown to TokenReview": tok(testissuer.Sign(t, testissuer.NewKey(t, "sa", jose.RS256), map[string]any{"iss": saIssuer, "sub": "x", "exp": now.Add(time.Hour).Unix()}, nil)),

		// Requests that try to pass as skip-auth or as someone.
		"dot-segment out of skip path":   {path: "/dex/../admin", wantStatus: 302},
		"encoded slash out of skip path": {path: "/dex%2F..%2Fadmin", wantStatus: 302},
		"double-encoded dot segments":    {path: "/dex/%252e%252e/admin", wantStatus: 302},
		"encoded backslash out of skip":  {path: "/dex/..%5cadmin", wantStatus: 302},
		"skip prefix without boundary":   {path: "/dexter/x", wantStatus: 302},
		"skip path only in query":        {path: "/admin?r=/dex/", wantStatus: 302},
		"spoofed user header anonymous":  {header: [][2]string{{"kubeflow-userid", "admin@example.com"}}, wantStatus: 302},
		"spoofed user header on API":     {path: "/api/x", header: [][2]string{{"kubeflow-userid", "admin"}, {"kubeflow-groups", "admins"}}, wantStatus: 401},
		"bad cookie":                     {header: [][2]string{{"Cookie", "_oauth2_proxy=forged"}}, wantStatus: 302},
	}
	if len(tests) < 41 {
		t.Fatalf("attack corpus has %d cases, want at least 40 attacks plus the control", len(tests))
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := h.both(t, req{path: tc.path, header: tc.header})
			// The deny must come from the intended rule, not an earlier one.
			{
				hh := http.Header{}
				for _, kv := range tc.header {
					hh.Add(kv[0], kv[1])
				}
				p := tc.path
				if p == "" {
					p = "/"
				}
				d := h.checker.decide(t.Context(), &Request{Method: "GET", Path: p, Header: hh})
				if want, ok := attackReasons[name]; !ok || d.Reason != want {
					t.Fatalf("reason %q, want %q", d.Reason, want)
				}
			}
			if got.Status != tc.wantStatus || got.Allow != (tc.wantStatus == http.StatusOK) {
				t.Fatalf("status %d allow %v, want %d", got.Status, got.Allow, tc.wantStatus)
			}
		})
	}
}

// attackReasons is the rule each attack must trip (Decision.Reason).
var attackReasons = map[string]string{
	"ES256 header over RSA key":            "no key matches kid and alg",
	"HS256 keyed with RSA public key PEM":  "signature algorithm not allowed",
	"HS256 keyed with empty secret":        "signature algorithm not allowed",
	"JSON serialisation":                   "token is not base64url compact serialisation",
	"JWE compact":                          "encrypted tokens (JWE) are not accepted",
	"PS256 header over RS256 signature":    "signature algorithm not allowed for issuer",
	"SA-like token unknown to TokenReview": "TokenReview: not authenticated",
	"alg None mixed case":                  "signature algorithm not allowed",
	"alg missing":                          "signature algorithm not allowed",
	"alg none":                             "signature algorithm not allowed",
	"alg none with signature":              "signature algorithm not allowed",
	"alg not allowed for issuer (RS512)":   "signature algorithm not allowed for issuer",
	"aud array without ours":               "audience not accepted",
	"aud as number":                        "aud missing or malformed",
	"aud missing":                          "aud missing or malformed",
	"bad cookie":                           "no valid session",
	"bare token without scheme":            "Authorization scheme is not Bearer",
	"basic scheme":                         "Authorization scheme is not Bearer",
	"comma-joined Authorization":           "comma-joined Authorization header",
	"control: honest token allowed":        "",
	"crit b64 false":                       "crit header not accepted",
	"dot-segment out of skip path":         "no credentials",
	"double-encoded dot segments":          "no credentials",
	"duplicate Authorization":              "more than one Authorization header",
	"duplicate user claim":                 "duplicate claim names",
	"duplicate nested name":                "duplicate claim names",
	"duplicate header alg":                 "duplicate header parameter names",
	"empty bearer":                         "malformed bearer token",
	"empty claims":                         "TokenReview: not authenticated",
	"empty signature":                      "signature verification failed",
	"encoded backslash out of skip":        "no credentials",
	"encoded slash out of skip path":       "no credentials",
	"exp as string":                        "exp is not a number",
	"exp huge":                             "exp is out of range",
	"exp missing":                          "exp missing",
	"expired beyond leeway":                "token expired",
	"four parts":                           "token must have three parts",
	"group containing comma":               "group cannot be carried in a comma-joined header",
	"groups as a string":                   "groups claim is not an array of strings",
	"groups with non-string":               "groups claim holds a non-string",
	"header not JSON":                      "malformed token",
	"iat in the future":                    "token issued in the future (iat)",
	"iss missing":                          "TokenReview: not authenticated",
	"iss with trailing slash":              "TokenReview: not authenticated",
	"jku header":                           "jku header not accepted",
	"jwk header embeds attacker key":       "jwk header not accepted",
	"kid of EC key with RS256":             "no key matches kid and alg",
	"malformed base64 header":              "token is not base64url compact serialisation",
	"nbf in the future":                    "token not yet valid (nbf)",
	"nested JWT (cty JWT)":                 "cty header not accepted",
	"padded base64":                        "token is not base64url compact serialisation",
	"payload a JSON string":                "claims are not a JSON object",
	"payload not an object":                "claims are not a JSON object",
	"rotated-out key":                      "no key matches kid and alg",
	"signature from another token":         "signature verification failed",
	"skip path only in query":              "no credentials",
	"skip prefix without boundary":         "no credentials",
	"spoofed user header anonymous":        "no credentials",
	"spoofed user header on API":           "no credentials",
	"standard base64 alphabet":             "token is not base64url compact serialisation",
	"token over size cap":                  "bearer token too large",
	"trailing data after claims":           "trailing data after claims",
	"two parts":                            "token must have three parts",
	"unknown crit":                         "crit header not accepted",
	"unknown kid":                          "no key matches kid and alg",
	"user claim missing":                   "user claim missing or not a string",
	"user claim not a string":              "user claim missing or not a string",
	"user with header injection":           "user cannot be carried in a header",
	"wrong aud":                            "audience not accepted",
	"wrong iss":                            "TokenReview: not authenticated",
	"wrong key with trusted kid":           "signature verification failed",
	"x5c header":                           "x5c header not accepted",
	"x5u header":                           "x5u header not accepted",
}

// dupClaims is claims as JSON with extra appended inside the object, so a
// name in extra appears twice.
func dupClaims(t *testing.T, claims map[string]any, extra string) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "}") + "," + extra + "}"
}
