package e2e

// The access-rules environment (spec.access, docs/access.md): the loopback
// stack at a host name instead of 127.0.0.1, so rules can name hosts, a
// machine-only host and a subdomain that shares the login session. Every
// *.e2e.test name (a reserved suffix) is dialled at the front's 127.0.0.1
// port, as a cluster's DNS sends them all to the ingress gateway. What it
// changes beyond overrides_test.go's table:
//
// | what                   | e2e (loopback)          | access env                                                        | why |
// |------------------------|-------------------------|-------------------------------------------------------------------|-----|
// | publicURL              | http://127.0.0.1:<port> | http://kubeflow.e2e.test:<port>                                   | rules and hosts are host names; a cookie domain needs one |
// | cookie domains         | none                    | [.kubeflow.e2e.test]                                              | nb.kubeflow.e2e.test shares the session |
// | machineIssuers[0].name | none                    | robots                                                            | machines rules name their issuer |
// | spec.access            | none                    | accessSpec below                                                  | the rules under test |
// | Dex staticPasswords    | Kubeflow's user         | + one user per group set (accessPeople), the same test password   | groups reach the gateway in Dex's ID token, a JSON list |

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"meshauth.dev/meshauth/internal/loopback"
	"meshauth.dev/meshauth/internal/rawhttp"
	"meshauth.dev/meshauth/internal/testissuer"
)

const (
	accessHost        = "kubeflow.e2e.test"    // the publicURL's host
	accessNotebooks   = "nb.kubeflow.e2e.test" // shares the login session
	accessMachineHost = "ml-api.e2e.test"      // machine tokens only, outside the cookie domain
	accessDomain      = ".kubeflow.e2e.test"   // the session cookie's domain
	accessSuffix      = ".e2e.test"            // every name the clients dial at the front

	accessMachines = "robots"         // the machine issuer's name (the harness's testissuer)
	accessRepo     = "e2e-org/models" // the repository claim the machines rules ask for
	accessMachine  = "system:serviceaccount:e2e:ci"
	tokenTTL       = 10 * time.Minute
)

// A person is a Dex static user with groups (Dex puts them in the ID
// token's groups claim, a JSON list).
type accessPerson struct {
	email  string
	groups []string
}

var (
	personA     = accessPerson{"alice@example.com", []string{"team-a"}}                 // app A's group; finance's email
	personB     = accessPerson{"bob@example.com", []string{"team-b"}}                   // app B's group
	personAdmin = accessPerson{"root@example.com", []string{"admin"}}                   // the admin group
	personComma = accessPerson{"mallory@example.com", []string{"not-admin", "a,admin"}} // "admin" only inside other names
	// personNone is Kubeflow's default user (loopback: groups [e2e-team]):
	// in none of the rules' groups.
	personNone = accessPerson{"user@example.com", []string{testGroup}}
)

var accessPeople = []accessPerson{personA, personB, personAdmin, personComma}

// accessSpec is spec.access: a public prefix on the session hosts, a
// machines+claim rule on the machine-only host and one on a path of every
// host, a machines rule without a claim, a group rule per app, a group rule a comma must not satisfy, a
// claim rule; everything else needs a sign-in.
func accessSpec() map[string]any {
	return map[string]any{
		"hosts": []any{
			map[string]any{"name": accessMachineHost, "machinesOnly": true},
			map[string]any{"name": accessNotebooks},
		},
		"rules": []any{
			map[string]any{"name": "models", "hosts": []any{accessHost, accessNotebooks}, "paths": []any{"/kserve/"}, "public": true},
			map[string]any{"name": "ci", "hosts": []any{accessMachineHost}, "machines": []any{accessMachines},
				"claim": map[string]any{"name": "repository", "values": []any{accessRepo}}},
			map[string]any{"name": "batch", "paths": []any{"/batch/"}, "machines": []any{accessMachines},
				"claim": map[string]any{"name": "repository", "values": []any{accessRepo}}},
			map[string]any{"name": "jobs", "paths": []any{"/jobs/"}, "machines": []any{accessMachines}},
			map[string]any{"name": "app-a", "paths": []any{"/app-a/"}, "groups": []any{"team-a"}},
			map[string]any{"name": "pipelines", "paths": []any{"/pipeline/"}, "groups": []any{"team-b"}},
			map[string]any{"name": "admin", "paths": []any{"/admin/"}, "groups": []any{"admin"}},
			map[string]any{"name": "finance", "paths": []any{"/finance/"},
				"claim": map[string]any{"name": "email", "values": []any{personA.email}}},
		},
	}
}

// accessAuthConfig is the loopback AuthConfig at accessHost with the rules.
func accessAuthConfig(frontPort, dexPort int, iss *testissuer.Issuer, authorizer string) map[string]any {
	ac := loopbackAuthConfig(frontPort, dexPort, iss, authorizer)
	spec := ac["spec"].(map[string]any)
	spec["publicURL"] = "http://" + net.JoinHostPort(accessHost, strconv.Itoa(frontPort))
	spec["oauth2Proxy"].(map[string]any)["cookie"].(map[string]any)["domains"] = []any{accessDomain}
	spec["machineIssuers"].([]any)[0].(map[string]any)["name"] = accessMachines
	spec["access"] = accessSpec()
	return ac
}

// accessDexConfig adds the people (the test password).
func accessDexConfig(cfg map[string]any) {
	users, _ := cfg["staticPasswords"].([]any)
	for i, p := range accessPeople {
		users = append(users, map[string]any{"email": p.email, "hash": loopback.PasswordHash,
			"username": strings.Split(p.email, "@")[0], "userID": fmt.Sprintf("e2e-access-%d", i), "groups": toAnyList(p.groups)})
	}
	cfg["staticPasswords"] = users
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// newAccessEnv boots the access environment for authorizer, under the mesh's
// pathNormalization norm ("" for the emitted mesh config's).
func newAccessEnv(t *testing.T, authorizer, norm string, mods ...func(spec map[string]any)) *env {
	e := newEnvWith(t, authorizer, envOptions{authConfig: accessAuthConfig, dexConfig: accessDexConfig, pathNormalization: norm, specMods: mods})
	if e.userEmail != personNone.email {
		t.Fatalf("Dex's first static user is %s; the access flows take it for %s (groups %v)", e.userEmail, personNone.email, personNone.groups)
	}
	return e
}

// frontAddr is the front's 127.0.0.1 address.
func (e *env) frontAddr() string { return strings.TrimPrefix(e.frontURL, "http://") }

// at is host with the front's port: the Host header of a request to host.
func (e *env) at(host string) string {
	_, port, _ := net.SplitHostPort(e.frontAddr())
	return net.JoinHostPort(host, port)
}

// hostBrowser is a browser at the publicURL's host name: every *.e2e.test
// name is dialled at the front, nothing else at all. It may follow links to
// the hosts named (besides the publicURL's).
func (e *env) hostBrowser(t testing.TB, hosts ...string) *browser {
	b := e.browser(t)
	b.base = mustURL(t, e.spec()["publicURL"].(string))
	front := e.frontAddr()
	b.c.Transport = &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || !strings.HasSuffix(host, accessSuffix) {
			return nil, fmt.Errorf("the browser dials only *%s names (at the front), not %s", accessSuffix, addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, front)
	}}
	b.others = map[string]bool{}
	for _, h := range hosts {
		b.others[e.at(h)] = true
	}
	return b
}

// loginAs walks oauth2-proxy's start → Dex's form → callback as email at
// the publicURL and returns the page it lands on (/).
func (b *browser) loginAs(email string) response {
	b.t.Helper()
	p, err := loopback.Login(b.e.ctx, b, email)
	if err != nil {
		b.t.Fatalf("login as %s: %v\nhops:\n%s", email, err, b.hops())
	}
	r := response{status: p.Status, header: p.Header, body: p.Body, path: p.URL.RequestURI()}
	if r.status != 200 {
		b.t.Fatalf("login as %s ended at %d %.300s\nhops:\n%s", email, r.status, r.body, b.hops())
	}
	return r
}

// signIn is a browser signed in as p at the publicURL.
func (e *env) signIn(t testing.TB, p accessPerson) *browser {
	t.Helper()
	b := e.hostBrowser(t, accessNotebooks)
	seen := dashboardSaw(t, b.loginAs(p.email))
	if got := seen.Get(e.userHeader); got != p.email {
		t.Fatalf("signed in as %s, the dashboard saw %s %q", p.email, e.userHeader, got)
	}
	return b
}

// rawAt sends target as written to the front with Host host (at the
// front's port).
func (e *env) rawAt(t *testing.T, host, target string, hdr http.Header) rawhttp.Response {
	t.Helper()
	h := hdr.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Host", e.at(host))
	return e.rawTo(t, target, h)
}

// accessSeq makes request targets unique, so the gateway's log line of
// one request can be found.
var accessSeq atomic.Int64

// tagged is path with a unique query, for expectRuleDenied.
func tagged(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "e2e-req=" + strconv.FormatInt(accessSeq.Add(1), 10)
}

// reply is what the flows look at of a response: status, Location, body.
type reply struct {
	status   int
	location string
	body     string
}

func fromRaw(r rawhttp.Response) reply {
	return reply{r.Status, r.Header.Get("Location"), r.Body}
}

func fromBrowser(r response) reply {
	return reply{r.status, r.header.Get("Location"), r.body}
}

// echoed: the response is the dashboard's echo.
func (r reply) echoed() bool {
	got, ok := echoedTarget(rawhttp.Response{Body: r.body})
	return r.status == 200 && ok && got != ""
}

// What a denial says the caller lacks: one need of a rule.
const (
	needMachine = "a machine token"
	needGroup   = "membership of"
	needClaim   = "a claim"
)

// expectRuleDenied fails unless r (the answer to GET uri, a tagged target)
// is the 403 of access rule `rule` for lack of need, not a redirect or a
// sign-in page: check-server's "forbidden: access rule <rule>: needs …"
// body; under oauth2-proxy the gateway's "RBAC: access denied" from the
// DENY policy's rule for that need on that rule's mark, as the gateway's
// log of that request names it.
func (e *env) expectRuleDenied(t *testing.T, what string, r reply, uri, rule, need string) {
	t.Helper()
	if r.status != http.StatusForbidden || r.location != "" {
		t.Errorf("%s: %d (Location %q) %.200s, want 403 of rule %s, no redirect", what, r.status, r.location, r.body, rule)
		return
	}
	if e.spec()["authorizer"] == "check-server" {
		want := "forbidden: access rule " + rule + ": needs "
		if need != needClaim {
			want += need
		}
		if !strings.HasPrefix(r.body, want) || need == needClaim && (strings.HasPrefix(r.body, want+needMachine) || strings.HasPrefix(r.body, want+needGroup)) {
			t.Errorf("%s: 403 %q, want check-server's %q… (%s)", what, r.body, want, need)
		}
		return
	}
	if r.body != "RBAC: access denied" {
		t.Errorf("%s: 403 %q, want the gateway's \"RBAC: access denied\"", what, r.body)
		return
	}
	e.expectDeniedBy(t, what, uri, e.accessPolicyRules(t, ruleMark(rule), need))
}

// ruleMark is the stat prefix of rule's classifier filter.
func ruleMark(rule string) string { return "meshauth_rule_" + strings.ReplaceAll(rule, "-", "_") + "_" }

// expectDeniedBy: the gateway's log says GET uri got its 403 from one of
// the policy ids.
func (e *env) expectDeniedBy(t *testing.T, what, uri string, ids []string) {
	t.Helper()
	if len(ids) == 0 {
		t.Fatalf("%s: the emitted DENY policy %s has no rule for it", what, accessPolicy)
	}
	prefix := "GET " + uri + ": rbac "
	var lines []string
	for _, l := range strings.Split(e.lg.get("gateway").Last(512<<10), "\n") {
		if i := strings.Index(l, prefix); i >= 0 && strings.Contains(l, ": 403 (policy ") {
			lines = append(lines, l[i:])
		}
	}
	if len(lines) != 1 {
		t.Errorf("%s: the gateway logged %d denials of GET %s, want one: %q", what, len(lines), uri, lines)
		return
	}
	if !slices.ContainsFunc(ids, func(id string) bool { return strings.HasSuffix(lines[0], `(policy "`+id+`")`) }) {
		t.Errorf("%s: %s; want a denial by %v", what, lines[0], ids)
	}
}

const accessPolicy = "istio-ingressgateway-access"

// accessPolicyRules are the policy ids (as istiod names them for Envoy's
// RBAC) of the emitted DENY policy's rules that read a classifier mark
// whose stat prefix is markPrefix and refuse for lack of need (any need
// when "").
func (e *env) accessPolicyRules(t *testing.T, markPrefix, need string) []string {
	t.Helper()
	p := e.r.find(t, "security.istio.io", "AuthorizationPolicy", "istio-system", accessPolicy)
	rules, _ := p.m["spec"].(map[string]any)["rules"].([]any)
	var ids []string
	for i, r := range rules {
		rm := r.(map[string]any)
		marked, claim := false, ""
		when, _ := rm["when"].([]any)
		for _, w := range when {
			k, _ := w.(map[string]any)["key"].(string)
			marked = marked || strings.Contains(k, "["+markPrefix+"shadow_effective_policy_id]")
			if c, ok := strings.CutPrefix(k, "request.auth.claims["); ok {
				claim = strings.TrimSuffix(c, "]")
			}
		}
		var has string
		switch {
		case rm["from"] != nil:
			has = needMachine
		case claim == e.spec()["identityHeaders"].(map[string]any)["groups"].(map[string]any)["claim"]:
			has = needGroup
		case claim != "":
			has = needClaim
		}
		if marked && (need == "" || need == has) {
			ids = append(ids, fmt.Sprintf("ns[istio-system]-policy[%s]-rule[%d]", accessPolicy, i))
		}
	}
	return ids
}

// machineToken is a token of the machine issuer for the gateway's audience
// with claims added.
func (e *env) machineToken(t testing.TB, claims map[string]any) string {
	c := map[string]any{"sub": accessMachine, "aud": "e2e-machines"}
	for k, v := range claims {
		c[k] = v
	}
	return e.issuer.Token(t, e.issuer.Fresh(tokenTTL, c))
}

// get sends GET target from b with extra headers.
func (b *browser) get(target string, hdr map[string]string) reply {
	b.t.Helper()
	return fromBrowser(b.do("GET", target, nil, hdr))
}

// bearerHdr is an API request with a bearer token.
func bearerHdr(tok string) map[string]string {
	return map[string]string{"Accept": "application/json", "Authorization": "Bearer " + tok}
}

// urlAt is http://host:<front port> followed by target (a path and query).
func (e *env) urlAt(host, target string) string {
	return "http://" + e.at(host) + target
}
