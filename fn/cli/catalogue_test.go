package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kptdev/krm-functions-sdk/go/fn"
)

var update = flag.Bool("update", false, "rewrite docs/bad-inputs.md from the catalogue")

const (
	badDir  = "../../testdata/bad"
	badDoc  = "../../docs/bad-inputs.md"
	hugePad = 1<<20 + 1 // bytes of comment added to the huge case
)

// badInput is one malformed or dangerous input and exactly what the user
// sees. An AuthConfig file is run through `render -f FILE -o DIR` and
// `validate -f FILE`: exit 1, these stderr lines, DIR untouched. A
// ResourceList is run as the KRM function on stdin: exit 1, these results
// ("severity: field: message") and stderr lines, the items as they came.
type badInput struct {
	summary string
	// list marks a ResourceList case (run as the KRM function).
	list bool
	// stderr is what validate prints, and render too unless render is set.
	stderr []string
	render []string
	// results are the ResourceList's results, for ResourceList cases.
	results []string
}

// TestBadInputCatalogue runs every file in testdata/bad against its entry;
// every file needs an entry and every entry a file. With -update it
// rewrites docs/bad-inputs.md; otherwise it fails when the doc is stale.
func TestBadInputCatalogue(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(badDir, "*.yaml"))
	if err != nil || len(files) < 30 {
		t.Fatalf("want at least 30 cases in %s, found %d (%v)", badDir, len(files), err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		seen[name] = true
		bc, ok := badInputs[name]
		if !ok {
			t.Errorf("%s has no entry in badInputs", file)
			continue
		}
		t.Run(name, func(t *testing.T) {
			data := readBad(t, file)
			if isResourceList(data) != bc.list {
				t.Fatalf("list = %v but the file is the other kind", bc.list)
			}
			if bc.list {
				checkBadResourceList(t, data, bc)
			} else {
				checkBadAuthConfig(t, data, bc)
			}
		})
	}
	for name := range badInputs {
		if !seen[name] {
			t.Errorf("badInputs[%q] has no file %s/%s.yaml", name, badDir, name)
		}
	}
	doc := catalogueDoc()
	if *update {
		if err := os.WriteFile(badDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(badDoc)
	if err != nil || string(want) != doc {
		t.Errorf("%s is stale (run go test ./fn/cli -run TestBadInputCatalogue -update):\n%s", badDoc, cmp.Diff(string(want), doc))
	}
}

func readBad(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(file, "-huge") {
		data = append(data, []byte("# "+strings.Repeat("x", hugePad)+"\n")...)
	}
	return data
}

func isResourceList(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		if line == "kind: ResourceList" {
			return true
		}
	}
	return false
}

func checkBadAuthConfig(t *testing.T, data []byte, bc badInput) {
	if bc.results != nil {
		t.Fatal("an AuthConfig case has no results; list its stderr lines")
	}
	file := filepath.Join(t.TempDir(), "authconfig.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sentinel := map[string]string{"keep.txt": "sentinel\n", "oauth2-proxy/kustomization.yaml": "old\n"}
	for p, text := range sentinel {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(out, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, p), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantRender := bc.render
	if wantRender == nil {
		wantRender = bc.stderr
	}
	for _, run := range []struct {
		args []string
		want []string
	}{
		{[]string{"render", "-f", file, "-o", out}, wantRender},
		{[]string{"validate", "-f", file}, bc.stderr},
	} {
		code, stdout, stderr := runCLI(t, "", run.args...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", run.args[0], code)
		}
		if stdout != "" {
			t.Errorf("%s wrote to stdout: %s", run.args[0], stdout)
		}
		if diff := cmp.Diff(run.want, lines(stderr)); diff != "" {
			t.Errorf("%s stderr (-want +got):\n%s", run.args[0], diff)
		}
	}
	if diff := cmp.Diff(sentinel, readTree(t, out)); diff != "" {
		t.Errorf("a failed render changed the output folder (-want +got):\n%s", diff)
	}
}

func checkBadResourceList(t *testing.T, data []byte, bc badInput) {
	code, stdout, stderr := runCLI(t, string(data))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if diff := cmp.Diff(bc.stderr, lines(stderr)); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if stdout == "" {
		if bc.results != nil {
			t.Errorf("no ResourceList written; want results %q", bc.results)
		}
		return
	}
	in, err := fn.ParseResourceList(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn.ParseResourceList([]byte(stdout))
	if err != nil {
		t.Fatalf("the output is not a ResourceList: %v\n%s", err, stdout)
	}
	if len(in.Results) > 0 {
		t.Fatalf("the case file should carry no results: %v", in.Results)
	}
	if diff := cmp.Diff(bc.results, resultLines(out.Results)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(itemTexts(in.Items), itemTexts(out.Items)); diff != "" {
		t.Errorf("the items changed (-in +out):\n%s", diff)
	}
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func resultLines(rs fn.Results) []string {
	var out []string
	for _, r := range rs {
		field := ""
		if r.Field != nil && r.Field.Path != "" {
			field = r.Field.Path + ": "
		}
		out = append(out, fmt.Sprintf("%s: %s%s", r.Severity, field, r.Message))
	}
	return out
}

func itemTexts(items fn.KubeObjects) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.String()
	}
	return out
}

// catalogueDoc renders docs/bad-inputs.md from the table.
func catalogueDoc() string {
	var b strings.Builder
	b.WriteString(`# Bad-input catalogue

Malformed and dangerous inputs, and exactly what authconfig-fn answers. Each
row is a file in ` + "`testdata/bad/`" + ` and a case of ` + "`fn/cli/catalogue_test.go`" + `,
which fails when a message changes or this page is stale (regenerate it with
` + "`go test ./fn/cli -run TestBadInputCatalogue -update`" + `).

- **AuthConfig** files run through ` + "`authconfig-fn render -f FILE -o DIR`" + ` and
  ` + "`authconfig-fn validate -f FILE`" + `: exit code 1, the lines below on stderr,
  nothing on stdout, and DIR exactly as it was (a sentinel file and an old
  component file survive).
- **ResourceList** files are piped into ` + "`authconfig-fn`" + ` (the KRM function):
  exit code 1, the results below (` + "`severity: field: message`" + `), and the items
  returned byte for byte as they came in, or nothing written at all when the
  list cannot be read.

Every problem of an AuthConfig is reported at once; no case writes a file.

| case | input | exit | message(s) |
|---|---|---|---|
`)
	names := make([]string, 0, len(badInputs))
	for n := range badInputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		bc := badInputs[n]
		kind := "AuthConfig"
		msgs := bc.stderr
		if bc.list {
			kind = "ResourceList"
			msgs = append(append([]string(nil), bc.results...), bc.stderr...)
		}
		cell := quoteAll(msgs)
		if bc.render != nil {
			cell = append(cell, "render: "+strings.Join(quoteAll(bc.render), "<br>"))
		}
		fmt.Fprintf(&b, "| [`%s`](../testdata/bad/%s.yaml) | %s: %s | 1 | %s |\n", n, n, kind, bc.summary, strings.Join(cell, "<br>"))
	}
	return b.String()
}

func quoteAll(ms []string) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		m = strings.ReplaceAll(m, "|", `\|`)
		if strings.Contains(m, "`") {
			out[i] = "`` " + m + " ``"
		} else {
			out[i] = "`" + m + "`"
		}
	}
	return out
}

// TestDumpBadInputs prints what each case says today, as table entries, to
// seed a new case (go test ./fn/cli -run TestDumpBadInputs -v -dump).
var dump = flag.Bool("dump", false, "print the current answers to testdata/bad as badInputs entries")

func TestDumpBadInputs(t *testing.T) {
	if !*dump {
		t.Skip("run with -dump")
	}
	files, _ := filepath.Glob(filepath.Join(badDir, "*.yaml"))
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		data := readBad(t, file)
		var stdout, stderr bytes.Buffer
		if isResourceList(data) {
			Main(nil, bytes.NewReader(data), &stdout, &stderr)
			var res []string
			if out, err := fn.ParseResourceList(stdout.Bytes()); err == nil && stdout.Len() > 0 {
				res = resultLines(out.Results)
			}
			fmt.Printf("%q: {\n\tresults: %#v,\n\tstderr: %#v,\n},\n", name, res, lines(stderr.String()))
			continue
		}
		tmp := filepath.Join(t.TempDir(), "a.yaml")
		_ = os.WriteFile(tmp, data, 0o644)
		Main([]string{"validate", "-f", tmp}, nil, &stdout, &stderr)
		var r bytes.Buffer
		Main([]string{"render", "-f", tmp, "-o", t.TempDir()}, nil, &stdout, &r)
		fmt.Printf("%q: {\n\tstderr: %#v,\n", name, lines(stderr.String()))
		if r.String() != stderr.String() {
			fmt.Printf("\trender: %#v,\n", lines(r.String()))
		}
		fmt.Printf("},\n")
	}
}

// badInputs is the catalogue: testdata/bad/<name>.yaml and what it gets.
var badInputs = map[string]badInput{
	"01-wrong-types": {
		summary: "Values of the wrong type: a string for a number, for a boolean and for a list, a list for a mapping.",
		stderr:  []string{"error: spec.gateway.selector: must be a mapping of strings, got a list", "error: spec.oauth2Proxy.cookie.secure: must be true or false, got the string \"yes\"", "error: spec.oauth2Proxy.replicas: must be a whole number, got the string \"two\"", "error: spec.oidc.scopes: must be a list, got the string \"openid\""},
	},
	"02-unknown-fields": {
		summary: "Misspelled and unknown fields.",
		stderr:  []string{"error: spec.dexx: unknown field; did you mean \"dex\"?", "error: spec.oauth2Proxy.cookies: unknown field; did you mean \"cookie\"?", "error: spec.publicUrl: unknown field; did you mean \"publicURL\"?"},
	},
	"03-empty-scopes": {
		summary: "An empty scope list: no openid, no offline_access for the refresh.",
		stderr:  []string{"error: spec.oauth2Proxy.cookie.refresh: needs a refresh token: add offline_access to spec.oidc.scopes, or set refresh: 0s", "error: spec.oidc.scopes: must include openid; without it there is no ID token"},
	},
	"04-empty-email-domains": {
		summary: "An empty emailDomains list would let nobody in.",
		stderr:  []string{"error: spec.oauth2Proxy.emailDomains: must list at least one domain, or \"*\" for any"},
	},
	"05-duplicate-dex-clients": {
		summary: "Two extra Dex clients with one id, and one that takes oauth2-proxy's id.",
		stderr:  []string{"error: spec.dex.clients[1].id: \"grafana\" is already used by spec.dex.clients[0].id; client ids must be unique", "error: spec.dex.clients[2].id: \"oauth2-proxy\" is already used by spec.oauth2Proxy.clientID; client ids must be unique"},
	},
	"06-http-secure-cookie": {
		summary: "A plain-http publicURL with a Secure cookie: the browser never sends it back.",
		stderr:  []string{"error: spec.oauth2Proxy.cookie.secure: is true but spec.publicURL is http: browsers would never send the cookie back; use https or set secure: false"},
	},
	"07-invalid-regex": {
		summary: "apiRoutes that do not compile.",
		stderr:  []string{"error: spec.oauth2Proxy.apiRoutes[0]: is not a valid regular expression: error parsing regexp: missing closing ): `^/api/(`", "error: spec.oauth2Proxy.apiRoutes[1]: is not a valid regular expression: error parsing regexp: missing closing ]: `[a-`"},
	},
	"08-open-redirect-logout": {
		summary: "afterLogoutURL on another host: logout would be an open redirect.",
		stderr:  []string{"error: spec.logout.afterLogoutURL: must be a path such as / or a URL on the publicURL host (got \"https://evil.example.net/\"); other hosts would make logout an open redirect"},
	},
	"09-open-redirect-scheme-relative": {
		summary: "A scheme-relative afterLogoutURL is another host too.",
		stderr:  []string{"error: spec.logout.afterLogoutURL: must be a path such as / or a URL on the publicURL host (got \"//evil.example.net/\"); other hosts would make logout an open redirect"},
	},
	"10-redirect-url-other-host": {
		summary: "The OAuth callback on another host: the authorization code would go there.",
		stderr:  []string{"error: spec.oauth2Proxy.redirectURL: is \"https://evil.example.net/oauth2/callback\" but must be \"https://kubeflow.example.com/oauth2/callback\": oauth2-proxy receives the callback at /oauth2/callback on the spec.publicURL host; fix the URL or remove it to derive it"},
	},
	"11-public-root": {
		summary: "publicPaths [\"/\"] switches authentication off for everything.",
		stderr:  []string{"error: spec.logout.paths[0]: \"/logout\" is under a public path; logout must be outside spec.publicPaths", "error: spec.logout.paths[1]: \"/authservice/logout\" is under a public path; logout must be outside spec.publicPaths", "error: spec.publicPaths[0]: \"/\" would switch authentication off for every path; list only prefixes such as /dex/"},
	},
	"12-public-path-pattern": {
		summary: "Public paths that are patterns or oauth2-proxy's own routes.",
		stderr:  []string{"error: spec.publicPaths[0]: must be a path prefix starting and ending with /, e.g. /dex/ (got \"/dex/*\")", "error: spec.publicPaths[1]: /oauth2/ is always public (oauth2-proxy's own routes); remove \"/oauth2/\"", "error: spec.publicPaths[2]: must be a path prefix starting and ending with /, e.g. /dex/ (got \"dex\")"},
	},
	"13-image-latest": {
		summary: "Unpinned images.",
		stderr:  []string{"error: spec.checkServer.image: must be pinned to a version tag or digest, got \"ghcr.io/meshauth/check-server\"", "error: spec.oauth2Proxy.image: must be pinned to a version tag or digest, got \"quay.io/oauth2-proxy/oauth2-proxy:latest\""},
	},
	"14-same-identity-headers": {
		summary: "User and groups in one header.",
		stderr:  []string{"error: spec.identityHeaders.groups.header: must differ from the user header \"kubeflow-userid\""},
	},
	"15-reserved-header": {
		summary: "Identity headers the gateway owns, or not lower-case.",
		stderr:  []string{"error: spec.identityHeaders.groups.header: must be a lower-case HTTP header name (RFC 9110 token), got \"Kubeflow-Groups\"", "error: spec.identityHeaders.user.header: \"authorization\" is a header the gateway or oauth2-proxy owns; pick another name"},
	},
	"16-cookie-refresh-ge-expire": {
		summary: "A refresh interval as long as the cookie lifetime.",
		stderr:  []string{"error: spec.oauth2Proxy.cookie.refresh: (1h) must be shorter than cookie.expire (1h), or 0s to disable refresh"},
	},
	"17-samesite-none-insecure": {
		summary: "SameSite=None without Secure (on plain http).",
		stderr:  []string{"error: spec.oauth2Proxy.cookie.sameSite: none requires cookie.secure: true (browsers drop SameSite=None cookies without Secure)"},
	},
	"18-cookie-domain-mismatch": {
		summary: "A cookie domain that does not cover the publicURL host.",
		stderr:  []string{"error: spec.oauth2Proxy.cookie.domains[0]: \".example.org\" does not cover the publicURL host \"kubeflow.example.com\"; the browser would reject the cookie"},
	},
	"19-no-public-url": {
		summary: "The one required field is missing.",
		stderr:  []string{"error: spec.publicURL: is required: the external URL users reach the gateway at, e.g. https://kubeflow.example.com"},
	},
	"20-public-url-not-root": {
		summary: "publicURL with a path, query and another scheme on the OIDC issuer.",
		stderr:  []string{"error: spec.oidc.issuerURL: must be an absolute http(s) URL, got \"ftp://idp.example.com\"", "error: spec.publicURL: must be the root of the host (got path \"/kubeflow\"); oauth2-proxy and Dex are routed at /oauth2/ and /dex/ of the host", "error: spec.publicURL: must not carry a query or fragment (got \"https://kubeflow.example.com/kubeflow?x=1\")", "error: spec.publicURL: must not carry a query, fragment or user info"},
	},
	"21-issuer-mismatch": {
		summary: "Dex and oauth2-proxy disagree on the issuer.",
		stderr:  []string{"error: spec.oidc.issuerURL: is \"https://dex.example.com/dex\" but spec.dex.issuerURL is \"http://dex.auth.svc.cluster.local:5556/dex\": with Dex they must be equal; remove spec.dex to use an external provider"},
	},
	"22-redis-password-in-url": {
		summary: "A Redis password inside the address (it must come from a Secret), and it must not be echoed.",
		stderr:  []string{"error: spec.oauth2Proxy.sessionStore.redis.address: must be redis://host:port or rediss://host:port without a password (got \"redis://REDACTED@redis.oauth2-proxy:6379\"); use passwordSecretRef"},
	},
	"23-bad-durations": {
		summary: "Durations that do not parse, are zero or exceed Istio's limit.",
		stderr:  []string{"error: spec.istio.extAuthzTimeout: (1h) must be at most 600s; a check that slow stalls every request", "error: spec.istio.jwksRefreshInterval: must be positive, got \"-1m\"", "error: spec.oauth2Proxy.cookie.expire: must be positive, got \"0s\"", "error: spec.oauth2Proxy.cookie.refresh: must be a duration such as 30s, 59m or 24h, got \"soon\""},
	},
	"24-bad-names": {
		summary: "Namespaces and names that are not DNS names.",
		stderr:  []string{"error: spec.gateway.namespace: must be a DNS label (lower-case letters, digits and -, at most 63), got \"Istio_System\"", "error: spec.istio.providerName: must be a lower-case DNS name (letters, digits, - and .), got \"oauth2 proxy\"", "error: spec.oauth2Proxy.namespace: must be a DNS label (lower-case letters, digits and -, at most 63), got \"oauth2-proxy.\""},
	},
	"25-duplicate-machine-issuers": {
		summary: "One machine issuer twice, and the login issuer again.",
		stderr:  []string{"error: spec.machineIssuers[1].issuer: \"https://token.actions.githubusercontent.com\" is already trusted by spec.machineIssuers[0].issuer; list each issuer once", "error: spec.machineIssuers[1].name: \"m2m-token-actions-githubusercontent-com\" is also the name of spec.machineIssuers[0]; set distinct names", "error: spec.machineIssuers[2].issuer: \"http://dex.auth.svc.cluster.local:5556/dex\" is already trusted by spec.oidc.issuerURL; list each issuer once"},
	},
	"26-check-server-no-audiences": {
		summary: "check-server needs audiences for machine tokens; prefix only with check-server.",
		stderr:  []string{"error: spec.checkServer.protocol: must be http or grpc, got \"http2\"", "error: spec.checkServer.replicas: must be at least 1, got 0", "error: spec.machineIssuers[0].audiences: is required with authorizer: check-server, which refuses tokens it cannot check the audience of; list the audience the tokens carry"},
	},
	"27-prefix-without-check-server": {
		summary: "A user-header prefix needs authorizer: check-server.",
		stderr:  []string{"error: spec.identityHeaders.user.prefix: needs authorizer: check-server; with oauth2-proxy, Istio copies the claim into the header as it is"},
	},
	"28-wrong-api-version": {
		summary: "apiVersion and kind of something else, no name.",
		stderr:  []string{"error: apiVersion: must be \"meshauth.dev/v1alpha1\", got \"meshauth.dev/v1\"", "error: kind: must be \"AuthConfig\", got \"AuthConfiguration\"", "error: metadata.name: is required; name the AuthConfig, e.g. kubeflow"},
	},
	"29-not-yaml": {
		summary: "Not YAML at all.",
		stderr:  []string{"error: (document): is not valid YAML: line 6: did not find expected ',' or ']'"},
	},
	"30-not-a-mapping": {
		summary: "A YAML list, not an object.",
		stderr:  []string{"error: (document): must be a YAML mapping with apiVersion, kind, metadata and spec"},
	},
	"31-huge": {
		summary: "Over 1 MiB: the test pads this file with a comment of 1 MiB before running it.",
		stderr:  []string{"error: (document): is 1048782 bytes, over the 1048576 byte limit; an AuthConfig is a few KB"},
	},
	"32-non-utf8": {
		summary: "Latin-1 bytes, not UTF-8 (é is not a character here).",
		stderr:  []string{"error: (document): is not valid UTF-8; save the file as UTF-8"},
	},
	"33-logout-paths": {
		summary: "Logout paths under oauth2-proxy's routes, under a public path, or not a path.",
		stderr:  []string{"error: spec.logout.paths[0]: \"/oauth2/sign_out\" is oauth2-proxy's own route; pick a path outside /oauth2/", "error: spec.logout.paths[1]: \"/dex/logout\" is under a public path; logout must be outside spec.publicPaths", "error: spec.logout.paths[2]: must be an exact path starting with / (got \"logout\")", "error: spec.logout.paths[4]: duplicates \"/logout\""},
	},
	"34-dex-client-no-secret": {
		summary: "A confidential Dex client without a secret, and with a relative redirect URI.",
		stderr:  []string{"error: spec.dex.clients[0].redirectURIs[0]: must be an absolute http(s) URL, got \"/grafana/login\"", "error: spec.dex.clients[0].secretRef: is required for a confidential client; reference a Secret key in auth, or set public: true"},
	},
	"40-function-config-other-kind": {
		summary: "The function config is some other function's config.",
		list:    true,
		results: []string{"error: the function config is SetLabels fn.kpt.dev/v1alpha1, not an AuthConfig; pass an AuthConfig (apiVersion meshauth.dev/v1alpha1) as the function config"},
		stderr:  []string{"error: the function config is SetLabels fn.kpt.dev/v1alpha1, not an AuthConfig; pass an AuthConfig (apiVersion meshauth.dev/v1alpha1) as the function config", "error: function failure"},
	},
	"41-two-authconfigs": {
		summary: "Two AuthConfigs in the package and no function config to pick one. kpt passes an empty ConfigMap as the function config (kpt fn eval without --fn-config).",
		list:    true,
		results: []string{"error: the stream holds 2 AuthConfigs (\"kubeflow\", \"other\"); pass the one to render as the function config"},
		stderr:  []string{"error: the stream holds 2 AuthConfigs (\"kubeflow\", \"other\"); pass the one to render as the function config", "error: function failure"},
	},
	"42-no-authconfig": {
		summary: "No AuthConfig anywhere. kpt passes an empty ConfigMap as the function config (kpt fn eval without --fn-config).",
		list:    true,
		results: []string{"error: no AuthConfig: pass one as the function config or put exactly one in the package"},
		stderr:  []string{"error: no AuthConfig: pass one as the function config or put exactly one in the package", "error: function failure"},
	},
	"43-empty-list": {
		summary: "An empty ResourceList: no items, no function config.",
		list:    true,
		results: nil,
		stderr:  []string{"failed to read ResourceList input: expected exactly one object, got 0", "authconfig-fn without arguments reads a ResourceList (items and a functionConfig) on stdin, as kpt and kustomize send it; to render an AuthConfig file use: authconfig-fn render -f FILE"},
	},
	"44-components-dir-escape": {
		summary: "meshauth.dev/components-dir pointing outside the package.",
		list:    true,
		results: []string{"error: metadata.annotations.meshauth.dev/components-dir: meshauth.dev/components-dir must be a folder inside the package, got \"../x\""},
		stderr:  []string{"error: metadata.annotations.meshauth.dev/components-dir: meshauth.dev/components-dir must be a folder inside the package, got \"../x\"", "error: function failure"},
	},
	"45-bad-output-annotation": {
		summary: "meshauth.dev/output with a mode that does not exist.",
		list:    true,
		results: []string{"error: annotation meshauth.dev/output must be components or resources, got \"kustomize\""},
		stderr:  []string{"error: annotation meshauth.dev/output must be components or resources, got \"kustomize\"", "error: function failure"},
	},
	"46-provider-name-collision": {
		summary: "The mesh config already has a zipkin tracing provider named like spec.istio.providerName.",
		list:    true,
		results: []string{"error: component istio-external-auth: ConfigMap istio-system/istio data[\"mesh\"]: the mesh config already has a zipkin extension provider named \"oauth2-proxy\"; set spec.istio.providerName to another name"},
		stderr:  []string{"error: component istio-external-auth: ConfigMap istio-system/istio data[\"mesh\"]: the mesh config already has a zipkin extension provider named \"oauth2-proxy\"; set spec.istio.providerName to another name", "error: function failure"},
	},
	"47-mesh-not-yaml": {
		summary: "The mesh key of the istio ConfigMap is not YAML.",
		list:    true,
		results: []string{"error: component istio-external-auth: ConfigMap istio-system/istio data[\"mesh\"]: the mesh config is not valid YAML: yaml: line 2: did not find expected node content"},
		stderr:  []string{"error: component istio-external-auth: ConfigMap istio-system/istio data[\"mesh\"]: the mesh config is not valid YAML: yaml: line 2: did not find expected node content", "error: function failure"},
	},
	"48-dex-config-not-yaml": {
		summary: "Dex's config.yaml is not YAML.",
		list:    true,
		results: []string{"error: component dex-clients: ConfigMap auth/dex data[\"config.yaml\"]: the Dex config is not valid YAML: yaml: line 2: did not find expected node content"},
		stderr:  []string{"error: component dex-clients: ConfigMap auth/dex data[\"config.yaml\"]: the Dex config is not valid YAML: yaml: line 2: did not find expected node content", "error: function failure"},
	},
	"49-dex-deployment-no-container": {
		summary: "Dex's Deployment has no container named spec.dex.container (dex).",
		list:    true,
		results: []string{"error: component dex-clients: Deployment auth/dex has no container \"dex\"; set the container name in the AuthConfig"},
		stderr:  []string{"error: component dex-clients: Deployment auth/dex has no container \"dex\"; set the container name in the AuthConfig", "error: function failure"},
	},
	"50-mesh-providers-not-a-list": {
		summary: "extensionProviders in the mesh config is a mapping, not a list.",
		list:    true,
		results: []string{"error: component istio-external-auth: ConfigMap istio-system/istio data[\"mesh\"]: the mesh config: extensionProviders must be a list, got a mapping"},
		stderr:  []string{"error: component istio-external-auth: ConfigMap istio-system/istio data[\"mesh\"]: the mesh config: extensionProviders must be a list, got a mapping", "error: function failure"},
	},
	"51-dex-clients-not-a-list": {
		summary: "staticClients in Dex's config is a string.",
		list:    true,
		results: []string{"error: component dex-clients: ConfigMap auth/dex data[\"config.yaml\"]: the Dex config: staticClients must be a list, got a scalar"},
		stderr:  []string{"error: component dex-clients: ConfigMap auth/dex data[\"config.yaml\"]: the Dex config: staticClients must be a list, got a scalar", "error: function failure"},
	},
	"52-invalid-authconfig-in-package": {
		summary: "kpt fn eval without --fn-config: the package's one AuthConfig is invalid; results carry its file. kpt passes an empty ConfigMap as the function config (kpt fn eval without --fn-config).",
		list:    true,
		results: []string{"error: spec.publicURL: must be an absolute http(s) URL, got \"ftp://kubeflow.example.com\""},
		stderr:  []string{"error: spec.publicURL: must be an absolute http(s) URL, got \"ftp://kubeflow.example.com\"", "error: function failure"},
	},
	"60-every-problem-at-once": {
		summary: "Every kind of problem in one file — an unknown field, type errors (`replicas: two`, `secure: \"yes\"`), a publicURL that is not a URL, refresh ≥ expire, a regex that does not compile, a bad header name — all reported in one run.",
		stderr:  []string{"error: spec.dex.clients[0].public: must be true or false, got the string \"no\"", "error: spec.dex.clients[0].secretRef: is required for a confidential client; reference a Secret key in auth, or set public: true", "error: spec.identityHeaders.user.header: must be a lower-case HTTP header name (RFC 9110 token), got \"Kubeflow UserID\"", "error: spec.oauth2Proxy.apiRoutes[0]: is not a valid regular expression: error parsing regexp: missing closing ): `^/api/(`", "error: spec.oauth2Proxy.cookie.refresh: (2h) must be shorter than cookie.expire (1h), or 0s to disable refresh", "error: spec.oauth2Proxy.cookie.samesite: unknown field; did you mean \"sameSite\"?", "error: spec.oauth2Proxy.cookie.secure: must be true or false, got the string \"yes\"", "error: spec.oauth2Proxy.replicas: must be a whole number, got the string \"two\"", "error: spec.publicURL: must be an absolute http(s) URL, got \"kubeflow.example.com\""},
	},
	"61-duplicate-keys": {
		summary: "The same key twice — at the top, in spec, in a flow mapping and in annotations; YAML parsers keep the last one silently.",
		stderr:  []string{"error: kind: is given twice, at line 3 and at line 14; delete one (YAML parsers silently keep the last)", "error: metadata.annotations.meshauth.dev/output: is given twice, at line 7 and at line 8; delete one (YAML parsers silently keep the last)", "error: spec.oauth2Proxy.cookie.expire: is given twice on line 12 (columns 14 and 27); delete one (YAML parsers silently keep the last)", "error: spec.publicURL: is given twice, at line 10 and at line 13; delete one (YAML parsers silently keep the last)"},
	},
	"62-two-authconfigs-in-a-file": {
		summary: "Two AuthConfigs in one file: one stream renders one stack.",
		stderr:  []string{"error: (document): holds 2 YAML documents (AuthConfig \"kubeflow\" at line 2, AuthConfig \"kubeflow-staging\" at line 9); put one AuthConfig per file"},
	},
	"63-name-not-dns-label": {
		summary: "metadata.name that is not a DNS-1123 label; it becomes part of object names.",
		stderr:  []string{"error: metadata.name: must be a DNS-1123 label (lower-case letters, digits and -, starting and ending with a letter or digit, at most 63 characters), as it becomes part of object names; got \"KF_Prod\", use e.g. \"kf-prod\""},
	},
	"64-tab-indent": {
		summary: "A line indented with a tab: the line, the column and the fix.",
		stderr:  []string{"error: (document): line 8, column 1: a tab indents this line, and YAML indents with spaces only; replace the tab with spaces"},
	},
	"65-two-authconfigs-kustomize": {
		summary: "Two AuthConfigs under kustomize `transformers:`: the second run finds the copy the first one left in the stream (local-config, so kustomize drops it from the output).",
		list:    true,
		results: []string{"error: the stream holds 2 AuthConfigs (\"staging\" (the function config), \"kubeflow\" (rendered earlier in this kustomize build)); one stream renders one stack: keep one AuthConfig, or build the others in their own kustomization or package"},
		stderr:  []string{"error: the stream holds 2 AuthConfigs (\"staging\" (the function config), \"kubeflow\" (rendered earlier in this kustomize build)); one stream renders one stack: keep one AuthConfig, or build the others in their own kustomization or package", "error: function failure"},
	},
	"66-two-authconfigs-kpt-render": {
		summary: "kpt fn render with `configPath: authconfig.yaml` and a second AuthConfig file in the package.",
		list:    true,
		results: []string{"error: the stream holds 2 AuthConfigs (\"kubeflow\" (the function config), \"staging\" in staging/authconfig.yaml); one stream renders one stack: keep one AuthConfig, or build the others in their own kustomization or package"},
		stderr:  []string{"error: the stream holds 2 AuthConfigs (\"kubeflow\" (the function config), \"staging\" in staging/authconfig.yaml); one stream renders one stack: keep one AuthConfig, or build the others in their own kustomization or package", "error: function failure"},
	},
	"67-every-problem-in-function": {
		summary: "The KRM function reports every problem at once too; duplicate keys carry their lines in the AuthConfig as written (kpt's and kustomize's own annotations left out).",
		list:    true,
		results: []string{"error: metadata.name: must be a DNS-1123 label (lower-case letters, digits and -, starting and ending with a letter or digit, at most 63 characters), as it becomes part of object names; got \"Kubeflow\", use e.g. \"kubeflow\"", "error: spec.identityHeaders.groups.claimm: unknown field; did you mean \"claim\"?", "error: spec.identityHeaders.groups.header: \"x-envoy-groups\" is a header the gateway or oauth2-proxy owns; pick another name", "error: spec.oauth2Proxy.apiRoutes[0]: is not a valid regular expression: error parsing regexp: missing closing ]: `[a-`", "error: spec.oauth2Proxy.cookie.refresh: (1h) must be shorter than cookie.expire (1h), or 0s to disable refresh", "error: spec.oauth2Proxy.replicas: must be a whole number, got a list", "error: spec.publicURL: is given twice, at line 6 and at line 7; delete one (YAML parsers silently keep the last)"},
		stderr:  []string{"error: metadata.name: must be a DNS-1123 label (lower-case letters, digits and -, starting and ending with a letter or digit, at most 63 characters), as it becomes part of object names; got \"Kubeflow\", use e.g. \"kubeflow\"", "error: spec.identityHeaders.groups.claimm: unknown field; did you mean \"claim\"?", "error: spec.identityHeaders.groups.header: \"x-envoy-groups\" is a header the gateway or oauth2-proxy owns; pick another name", "error: spec.oauth2Proxy.apiRoutes[0]: is not a valid regular expression: error parsing regexp: missing closing ]: `[a-`", "error: spec.oauth2Proxy.cookie.refresh: (1h) must be shorter than cookie.expire (1h), or 0s to disable refresh", "error: spec.oauth2Proxy.replicas: must be a whole number, got a list", "error: spec.publicURL: is given twice, at line 6 and at line 7; delete one (YAML parsers silently keep the last)", "error: function failure"},
	},
	"68-resources-mode-without-istio": {
		summary: "kustomize build with the function as an exec transformer over a kustomization without the Istio install, Dex or the dashboard (Istio installed with istioctl or Helm): istiod would turn the CUSTOM policy into deny-all, so the function refuses and names every missing object with the fixes.",
		list:    true,
		results: []string{"error: dex-clients: ConfigMap auth/dex is not in the stream, so it cannot be patched (sets Dex's issuer and merges the static clients into its config.yaml); Dex does not know oauth2-proxy's static client or its secret: every login fails. The stream holds ConfigMap x/keep. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Dex runs elsewhere, treat it as an external provider: remove spec.dex, set spec.oidc.issuerURL and register the client there", "error: dex-clients: Deployment auth/dex is not in the stream, so it cannot be patched (gives Dex the client secrets its static clients read through secretEnv); Dex does not know oauth2-proxy's static client or its secret: every login fails. The stream holds no Deployment. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Dex runs elsewhere, treat it as an external provider: remove spec.dex, set spec.oidc.issuerURL and register the client there", "error: istio-external-auth: ConfigMap istio-system/istio is not in the stream, so it cannot be patched (merges the oauth2-proxy extension provider into the mesh config); without the extension provider in the mesh config istiod turns the CUSTOM AuthorizationPolicy into deny-all (an RBAC rule ending in -deny-due-to-bad-CUSTOM-action, no ext_authz filter): every request to the gateway gets 403. The stream holds ConfigMap x/keep. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Istio is installed with istioctl, Helm or an operator, set spec.istio.managedBy: external and add the extensionProviders entry the function then prints to that install", "error: istiod-jwt-refresh: Deployment istio-system/istiod is not in the stream, so it cannot be patched (sets PILOT_JWT_PUB_KEY_REFRESH_INTERVAL on istiod); istiod keeps a JWKS it fetched before Dex was up for 20 minutes (PILOT_JWT_PUB_KEY_REFRESH_INTERVAL unset): logins fail with \"Jwks doesn't have key to match kid or alg\". The stream holds no Deployment. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Istio is installed with istioctl, Helm or an operator, set spec.istio.managedBy: external and add the istiod env the function then prints to that install", "error: logout: VirtualService kubeflow/centraldashboard is not in the stream, so it cannot be patched (puts the logout route before the other routes of the VirtualService); the logout paths fall through to the other routes: users cannot log out. The stream holds no VirtualService. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when the dashboard's VirtualService has another name, set spec.logout.virtualService to it"},
		stderr:  []string{"error: dex-clients: ConfigMap auth/dex is not in the stream, so it cannot be patched (sets Dex's issuer and merges the static clients into its config.yaml); Dex does not know oauth2-proxy's static client or its secret: every login fails. The stream holds ConfigMap x/keep. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Dex runs elsewhere, treat it as an external provider: remove spec.dex, set spec.oidc.issuerURL and register the client there", "error: dex-clients: Deployment auth/dex is not in the stream, so it cannot be patched (gives Dex the client secrets its static clients read through secretEnv); Dex does not know oauth2-proxy's static client or its secret: every login fails. The stream holds no Deployment. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Dex runs elsewhere, treat it as an external provider: remove spec.dex, set spec.oidc.issuerURL and register the client there", "error: istio-external-auth: ConfigMap istio-system/istio is not in the stream, so it cannot be patched (merges the oauth2-proxy extension provider into the mesh config); without the extension provider in the mesh config istiod turns the CUSTOM AuthorizationPolicy into deny-all (an RBAC rule ending in -deny-due-to-bad-CUSTOM-action, no ext_authz filter): every request to the gateway gets 403. The stream holds ConfigMap x/keep. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Istio is installed with istioctl, Helm or an operator, set spec.istio.managedBy: external and add the extensionProviders entry the function then prints to that install", "error: istiod-jwt-refresh: Deployment istio-system/istiod is not in the stream, so it cannot be patched (sets PILOT_JWT_PUB_KEY_REFRESH_INTERVAL on istiod); istiod keeps a JWKS it fetched before Dex was up for 20 minutes (PILOT_JWT_PUB_KEY_REFRESH_INTERVAL unset): logins fail with \"Jwks doesn't have key to match kid or alg\". The stream holds no Deployment. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when Istio is installed with istioctl, Helm or an operator, set spec.istio.managedBy: external and add the istiod env the function then prints to that install", "error: logout: VirtualService kubeflow/centraldashboard is not in the stream, so it cannot be patched (puts the logout route before the other routes of the VirtualService); the logout paths fall through to the other routes: users cannot log out. The stream holds no VirtualService. Fix: list the file that holds it under resources: of the kustomization and the function under transformers: (a function under generators: sees no resources); or, when the dashboard's VirtualService has another name, set spec.logout.virtualService to it", "error: function failure"},
	},
	"69-redis-ca-plain-address": {
		summary: "A CA for Redis with plain redis:// addresses: oauth2-proxy speaks TLS whenever a CA is set, so it would hang at start.",
		stderr:  []string{"error: spec.oauth2Proxy.sessionStore.redis.cluster.addresses[1]: is a plain redis:// address, but caSecretRef is set and oauth2-proxy then speaks TLS to Redis, which a plain server never answers; use rediss://, or remove caSecretRef"},
	},
	"70-gateway-name-selector-on-istio": {
		summary: "The issue-23 new user: a Kubernetes Gateway's pods selected under the classic API, where the /oauth2/ VirtualService could never reach it.",
		stderr:  []string{"error: spec.gateway.selector.gateway.networking.k8s.io/gateway-name: selects the pods of the Kubernetes Gateway \"kubeflow-gateway\", which VirtualServices cannot bind to (Istio names its internal Gateways <name>~istio-autogenerated-k8s-gateway~<listener>): the /oauth2/ route would never reach it; set spec.gateway.api: gateway-api (HTTPRoutes and targetRefs policies, docs/gateway-api.md)"},
	},
	"71-gateway-api-other-namespace": {
		summary: "Gateway API mode with the policies' namespace not the Gateway's, a classic selector and the classic logout VirtualService: each would silently not apply.",
		stderr:  []string{"error: spec.gateway.name: names the Gateway kubeflow/kubeflow-gateway, but the policies go to spec.gateway.namespace istio-system and Istio applies targetRefs only to a Gateway in the policy's own namespace (cross-namespace refs never match); name a Gateway in istio-system (istio-system/kubeflow-gateway), or set spec.gateway.namespace: kubeflow", "error: spec.gateway.selector: must carry gateway.networking.k8s.io/gateway-name: kubeflow-gateway (the label Istio puts on the Gateway's pods and the only one it attaches targetRefs policies by); remove spec.gateway.selector to derive it", "error: spec.logout.virtualService: is for spec.gateway.api: istio; with gateway-api the logout redirect is an HTTPRoute of its own (exact paths win over the dashboard's / prefix), so remove it"},
	},
	"72-public-path-not-plain": {
		summary: "Public prefixes that are not plain paths: an escape, a \";\" parameter, a dot segment. The gateway opens only plain paths under a prefix, so such a prefix would never match; write it as the upstream serves it.",
		stderr:  []string{"error: spec.publicPaths[1]: must be a plain path prefix: no %-escape, \\, ;, # or space, no \"//\", \".\" or \"..\" segment (got \"/st%61tic/\"); write it as the upstream serves it, e.g. /static/", "error: spec.publicPaths[2]: must be a plain path prefix: no %-escape, \\, ;, # or space, no \"//\", \".\" or \"..\" segment (got \"/a;b/\"); write it as the upstream serves it, e.g. /static/", "error: spec.publicPaths[3]: must be a plain path prefix: no %-escape, \\, ;, # or space, no \"//\", \".\" or \"..\" segment (got \"/kserve/../v1/\"); write it as the upstream serves it, e.g. /static/"},
	},
	"73-access-rules-unenforceable": {
		summary: "Access rules that cannot be enforced as written: a public path inside a rule that needs a group (it would open part of what that rule protects), a rule an earlier one takes entirely (it would never apply), a machines rule on the login issuer, and a machine-only host the session cookie's domain covers.",
		stderr:  []string{"error: spec.access.hosts[1].name: \"api.kubeflow.example.com\" takes machine tokens only, but the session cookie's domain [.kubeflow.example.com] covers it, so browsers would send it the session; use a cookie domain that leaves it out, or a host outside it", "error: spec.access.rules[0].hosts: \"api.kubeflow.example.com\" takes machine tokens only, so nothing on it can be public; name the other hosts in hosts", "error: spec.access.rules[0].paths[0]: public \"/pipeline/static/\" lies inside rule \"pipelines\", which needs group ml-engineers: a public path there would open part of what that rule protects; move the public path out of \"/pipeline/\" or drop it", "error: spec.access.rules[2].paths[0]: \"/pipeline/admin/\" never applies: rule \"pipelines\" (earlier) takes every request under it; move this rule before \"pipelines\"", "error: spec.access.rules[3].machines[0]: \"dex-machines\" is the login issuer, whose tokens browser sessions carry too: a machines rule could not tell them apart; use a separate issuer for machines"},
	},
}
