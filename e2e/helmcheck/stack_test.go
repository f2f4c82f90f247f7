package helmcheck

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/internal/loopback"
)

// sameStack compares the chart release with the kustomize components of the
// same AuthConfig on what makes the stack behave, object by object (decoded,
// never as text: the charts add labels, annotations and defaults of their
// own): oauth2-proxy's config, image, replicas, Secret references,
// effective security context, probes, ports and mounts; Dex's config, env
// and Service; the mesh provider and istiod's env; and every policy, route
// and filter, which the extras and the charts carry as the components do.
func sameStack(t *testing.T, r *release, c *components) {
	t.Helper()
	s := r.spec
	ns := s.OAuth2Proxy.Namespace

	// oauth2-proxy's config: the chart mounts the emitted file.
	compCM := find(c.byComponent["oauth2-proxy"], "ConfigMap", ns, "oauth2-proxy")
	chartCM := find(r.charts["oauth2-proxy"], "ConfigMap", ns, "oauth2-proxy")
	if compCM == nil || chartCM == nil {
		t.Fatalf("oauth2-proxy's ConfigMap: components %v, chart %v", compCM != nil, chartCM != nil)
	}
	// The chart's template puts a newline before the file (nindent); TOML ignores it.
	if got, want := strings.Trim(chartCM.GetDataMap()["oauth2_proxy.cfg"], "\n"), strings.Trim(compCM.GetDataMap()["oauth2_proxy.cfg"], "\n"); got != want {
		t.Errorf("the chart's oauth2_proxy.cfg is not the emitted one:\n--- chart\n%s\n--- components\n%s", got, want)
	}

	// oauth2-proxy's workload.
	compDep := toMap(t, find(c.byComponent["oauth2-proxy"], "Deployment", ns, "oauth2-proxy"))
	chartDepNode := find(r.charts["oauth2-proxy"], "Deployment", ns, "oauth2-proxy")
	if chartDepNode == nil {
		t.Fatal("the oauth2-proxy chart rendered no Deployment oauth2-proxy")
	}
	chartDep := toMap(t, chartDepNode)
	compPod, chartPod := podSpec(compDep), podSpec(chartDep)
	compCtr, chartCtr := container(compPod, "oauth2-proxy"), container(chartPod, "oauth2-proxy")
	deepEqual(t, "oauth2-proxy image", normalImage(chartCtr["image"]), normalImage(compCtr["image"]))
	deepEqual(t, "oauth2-proxy replicas", loopback.Nested(chartDep, "spec", "replicas"), loopback.Nested(compDep, "spec", "replicas"))
	deepEqual(t, "oauth2-proxy env (Secret references)", envByName(chartCtr), envByName(compCtr))
	deepEqual(t, "oauth2-proxy effective security context", effectiveSecurity(chartPod, chartCtr), effectiveSecurity(compPod, compCtr))
	deepEqual(t, "oauth2-proxy automountServiceAccountToken", chartPod["automountServiceAccountToken"], compPod["automountServiceAccountToken"])
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		deepEqual(t, "oauth2-proxy "+probe, probeEssence(chartCtr[probe]), probeEssence(compCtr[probe]))
	}
	deepEqual(t, "oauth2-proxy Secret mounts", secretMounts(chartPod, chartCtr), secretMounts(compPod, compCtr))
	deepEqual(t, "oauth2-proxy's http port", namedPort(chartCtr, "http"), namedPort(compCtr, "http"))
	if path := configArg(chartCtr); !mountsFile(chartPod, chartCtr, path, "oauth2-proxy", "oauth2_proxy.cfg") {
		t.Errorf("the chart's --config=%s is not the mounted oauth2_proxy.cfg of ConfigMap oauth2-proxy", path)
	}
	deepEqual(t, "oauth2-proxy Service port 80", servicePort(t, find(r.charts["oauth2-proxy"], "Service", ns, "oauth2-proxy"), 80), servicePort(t, find(c.byComponent["oauth2-proxy"], "Service", ns, "oauth2-proxy"), 80))
	deepEqual(t, "PodDisruptionBudget minAvailable", pdbMin(t, r.charts["oauth2-proxy"], ns), pdbMin(t, c.byComponent["oauth2-proxy"], ns))

	// The policies, filters, RequestAuthentications, check-server and the
	// /oauth2/ route: the same objects, in the extras or the chart.
	released := append(append([]*yaml.RNode{}, r.extras...), r.charts["oauth2-proxy"]...)
	for _, comp := range []string{"istio-external-auth", "check-server", "oauth2-proxy"} {
		for _, o := range c.byComponent[comp] {
			switch o.GetKind() {
			case "Deployment", "ConfigMap", "Service", "ServiceAccount", "PodDisruptionBudget":
				if comp == "oauth2-proxy" {
					continue // compared above, as the chart shapes them
				}
			}
			got := find(released, o.GetKind(), o.GetNamespace(), o.GetName())
			if got == nil {
				t.Errorf("%s %s/%s of component %s is in no chart and not in the extras", o.GetKind(), o.GetNamespace(), o.GetName(), comp)
				continue
			}
			want, have := toMap(t, o), toMap(t, got)
			if comp == "oauth2-proxy" && o.GetKind() != "Namespace" && o.GetKind() != "VirtualService" && o.GetKind() != "HTTPRoute" {
				continue
			}
			deepEqual(t, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName(), have, want)
		}
	}
	// The dashboard routes: the same patches.
	for key, want := range c.jsonPatches {
		if r.routes == nil {
			t.Errorf("the components patch %s; the Helm output has no routes Component", key)
			continue
		}
		if !strings.Contains(r.files["routes/kustomization.yaml"], strings.TrimSpace(strings.Split(want, "\n")[0])) {
			t.Errorf("the routes Component lacks the patch of %s", key)
		}
		var w, g any
		_ = sigsyaml.Unmarshal([]byte(want), &w)
		found := false
		ps, _ := r.routes.Pipe(yaml.Lookup("patches"))
		for _, p := range ps.Content() {
			_ = sigsyaml.Unmarshal([]byte(yaml.GetValue(yaml.NewRNode(p).Field("patch").Value)), &g)
			found = found || deepEq(g, w)
		}
		if !found {
			t.Errorf("the routes Component has no patch equal to the components' %s", key)
		}
	}

	// Mesh: the provider the CUSTOM policy names, as the components merge it.
	meshCM := "istio"
	if rev, ok := strings.CutPrefix(s.Istio.Istiod.Deployment, "istiod-"); ok {
		meshCM += "-" + rev
	}
	chartMesh := find(r.charts["istiod"], "ConfigMap", s.Istio.Istiod.Namespace, meshCM)
	if chartMesh == nil {
		t.Fatalf("the istiod chart rendered no ConfigMap %s/%s", s.Istio.Istiod.Namespace, meshCM)
	}
	got := provider(t, chartMesh.GetDataMap()["mesh"], s.Istio.ProviderName)
	if p := c.patch("ConfigMap", s.Istio.Mesh.ConfigMap.Namespace, s.Istio.Mesh.ConfigMap.Name); p != nil {
		deepEqual(t, "the mesh extension provider "+s.Istio.ProviderName, got, provider(t, p.GetDataMap()[s.Istio.Mesh.Key], s.Istio.ProviderName))
	} else if s.Istio.ManagedBy != "external" {
		t.Errorf("the components have no mesh patch")
	} else if got == nil {
		t.Errorf("the istiod chart's mesh has no provider %s", s.Istio.ProviderName)
	}
	istiod := "istiod"
	if strings.HasPrefix(s.Istio.Istiod.Deployment, "istiod-") {
		istiod = s.Istio.Istiod.Deployment
	}
	if d := find(r.charts["istiod"], "Deployment", s.Istio.Istiod.Namespace, istiod); d == nil {
		t.Errorf("the istiod chart rendered no Deployment %s", istiod)
	} else if v := envByName(container(podSpec(toMap(t, d)), "discovery"))["PILOT_JWT_PUB_KEY_REFRESH_INTERVAL"]; v != s.Istio.JWKSRefreshInterval {
		t.Errorf("istiod's PILOT_JWT_PUB_KEY_REFRESH_INTERVAL is %v, want %s", v, s.Istio.JWKSRefreshInterval)
	}

	// Dex.
	if s.Dex == nil {
		if len(r.charts["dex"]) > 0 {
			t.Error("a Dex release for an AuthConfig without Dex")
		}
		return
	}
	var chartCfg, compCfg any
	if err := sigsyaml.Unmarshal([]byte(r.dexConfigText(t)), &chartCfg); err != nil {
		t.Fatal(err)
	}
	cp := c.patch("ConfigMap", s.Dex.Namespace, s.Dex.ConfigMap)
	if cp == nil {
		t.Fatal("the components have no Dex config patch")
	}
	if err := sigsyaml.Unmarshal([]byte(cp.GetDataMap()["config.yaml"]), &compCfg); err != nil {
		t.Fatal(err)
	}
	deepEqual(t, "Dex's config.yaml", chartCfg, compCfg)
	ep := c.patch("Deployment", s.Dex.Namespace, s.Dex.Deployment)
	if ep == nil {
		t.Fatal("the components have no Dex env patch")
	}
	want := envByName(container(podSpec(toMap(t, ep)), s.Dex.Container))
	have := envByName(r.dexContainer(t))
	for k, v := range want {
		deepEqual(t, "Dex env "+k, have[k], v)
	}
	// Dex's Service is what the issuer URL names.
	u, _ := url.Parse(s.Dex.IssuerURL)
	host := strings.Split(strings.TrimSuffix(strings.TrimSuffix(u.Hostname(), ".svc.cluster.local"), ".svc"), ".")
	if len(host) <= 2 {
		svc := find(r.charts["dex"], "Service", s.Dex.Namespace, host[0])
		if svc == nil {
			t.Fatalf("the Dex chart rendered no Service %s/%s, which the issuer %s names", s.Dex.Namespace, host[0], s.Dex.IssuerURL)
		}
		port, _ := strconv.Atoi(u.Port())
		if port == 0 {
			port = map[string]int{"http": 80, "https": 443}[u.Scheme]
		}
		if sp := servicePort(t, svc, port); sp == nil {
			t.Errorf("Dex's Service has no port %d (the issuer's)", port)
		}
	}
}

// configTest runs `oauth2-proxy --config-test` on the config the chart
// mounts, with the args and env of the chart's Deployment (the Secrets by
// test values, mounted Secret files written locally: internal/loopback).
func configTest(t *testing.T, bin string, r *release) {
	t.Helper()
	ns := r.spec.OAuth2Proxy.Namespace
	cfg := find(r.charts["oauth2-proxy"], "ConfigMap", ns, "oauth2-proxy").GetDataMap()["oauth2_proxy.cfg"]
	w, err := loopback.ContainerOf(toMap(t, find(r.charts["oauth2-proxy"], "Deployment", ns, "oauth2-proxy")), "oauth2-proxy")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := loopback.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	o, err := loopback.NewOAuth2Proxy(t.TempDir(), cfg, w, testSecrets(t, r), addr)
	if err != nil {
		t.Fatal(err)
	}
	args := append(o.Args, "--config-test")
	if r.spec.OAuth2Proxy.SessionStore.Redis != nil {
		// --config-test dials the Redis session store (and retries for a
		// minute): offline, the session store is switched to cookie by flag;
		// the Redis options stay in the file, parsed strictly by
		// fn/outputcheck, and e2e/ runs them against real Redis servers.
		args = append(args, "--session-store-type=cookie")
		t.Log("--config-test with --session-store-type=cookie: the Redis store needs a server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = o.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("oauth2-proxy --config-test refuses the chart's config (%v):\n%s\nargs %v\n--- oauth2_proxy.cfg ---\n%s", err, out, o.Args, cfg)
	}
}

// testSecrets stands in for every Secret the AuthConfig references.
func testSecrets(t *testing.T, r *release) loopback.Secrets {
	p := r.spec.OAuth2Proxy
	s := loopback.Secrets{}
	s.Put(p.ClientSecretRef.Name, p.ClientSecretRef.Key, loopback.ClientSecret)
	s.Put(p.CookieSecretRef.Name, p.CookieSecretRef.Key, loopback.CookieSecret)
	if rd := p.SessionStore.Redis; rd != nil {
		if rd.PasswordSecretRef != nil {
			s.Put(rd.PasswordSecretRef.Name, rd.PasswordSecretRef.Key, "redis-password")
		}
		if rd.Sentinel != nil && rd.Sentinel.PasswordSecretRef != nil {
			s.Put(rd.Sentinel.PasswordSecretRef.Name, rd.Sentinel.PasswordSecretRef.Key, "sentinel-password")
		}
		if rd.CASecretRef != nil {
			s.Put(rd.CASecretRef.Name, rd.CASecretRef.Key, testCA(t))
		}
	}
	return s
}

// testCA is a self-signed CA certificate in PEM.
func testCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "helmcheck CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// --- decoded-object helpers ---

// normalImage is an image reference with Docker Hub's implicit parts
// written out: the chart always writes a registry.
func normalImage(v any) string {
	s, _ := v.(string)
	first, _, ok := strings.Cut(s, "/")
	if !ok {
		return "docker.io/library/" + s
	}
	if !strings.ContainsAny(first, ".:") && first != "localhost" {
		return "docker.io/" + s
	}
	return s
}

func podSpec(dep map[string]any) map[string]any {
	p, _ := loopback.Nested(dep, "spec", "template", "spec").(map[string]any)
	return p
}

func container(pod map[string]any, name string) map[string]any {
	cs, _ := pod["containers"].([]any)
	for _, c := range cs {
		if cm, _ := c.(map[string]any); cm["name"] == name {
			return cm
		}
	}
	return map[string]any{}
}

// envByName is name → value or valueFrom.
func envByName(c map[string]any) map[string]any {
	out := map[string]any{}
	l, _ := c["env"].([]any)
	for _, e := range l {
		em, _ := e.(map[string]any)
		if v, ok := em["value"]; ok {
			out[em["name"].(string)] = v
		} else {
			out[em["name"].(string)] = em["valueFrom"]
		}
	}
	return out
}

// effectiveSecurity is the security the container runs with: the container
// context over the pod's, for the fields both may set.
func effectiveSecurity(pod, c map[string]any) map[string]any {
	out := map[string]any{}
	psc, _ := pod["securityContext"].(map[string]any)
	csc, _ := c["securityContext"].(map[string]any)
	for _, k := range []string{"runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"} {
		if v, ok := csc[k]; ok {
			out[k] = v
		} else if v, ok := psc[k]; ok {
			out[k] = v
		}
	}
	for _, k := range []string{"allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities", "privileged"} {
		if v, ok := csc[k]; ok {
			out[k] = v
		}
	}
	if v, ok := psc["fsGroup"]; ok {
		out["fsGroup"] = v
	}
	return out
}

// probeEssence is what a probe checks and how often (Kubernetes' defaults
// filled in, the scheme HTTP by default).
func probeEssence(p any) map[string]any {
	m, _ := p.(map[string]any)
	if m == nil {
		return nil
	}
	out := map[string]any{"path": loopback.Nested(m, "httpGet", "path"), "port": loopback.Nested(m, "httpGet", "port")}
	for k, def := range map[string]float64{"periodSeconds": 10, "timeoutSeconds": 1, "initialDelaySeconds": 0, "failureThreshold": 3, "successThreshold": 1} {
		if v, ok := m[k]; ok {
			out[k] = v
		} else {
			out[k] = def
		}
	}
	if s, ok := loopback.Nested(m, "httpGet", "scheme").(string); ok && s != "HTTP" {
		out["scheme"] = s
	}
	return out
}

// secretMounts is mountPath → Secret volume source, for Secret volumes.
func secretMounts(pod, c map[string]any) map[string]any {
	vols := map[string]any{}
	l, _ := pod["volumes"].([]any)
	for _, v := range l {
		vm, _ := v.(map[string]any)
		if s, ok := vm["secret"]; ok {
			vols[vm["name"].(string)] = s
		}
	}
	out := map[string]any{}
	ms, _ := c["volumeMounts"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		if s, ok := vols[mm["name"].(string)]; ok {
			out[mm["mountPath"].(string)] = s
		}
	}
	return out
}

func namedPort(c map[string]any, name string) any {
	ps, _ := c["ports"].([]any)
	for _, p := range ps {
		if pm, _ := p.(map[string]any); pm["name"] == name {
			return pm["containerPort"]
		}
	}
	return nil
}

func configArg(c map[string]any) string {
	as, _ := c["args"].([]any)
	for _, a := range as {
		if s, _ := a.(string); strings.HasPrefix(s, "--config=") {
			return strings.TrimPrefix(s, "--config=")
		}
	}
	return ""
}

// mountsFile reports whether path is key of ConfigMap cm as the container
// mounts it (a directory mount or a subPath mount).
func mountsFile(pod, c map[string]any, path, cm, key string) bool {
	vols := map[string]bool{}
	l, _ := pod["volumes"].([]any)
	for _, v := range l {
		vm, _ := v.(map[string]any)
		if loopback.Nested(vm, "configMap", "name") == cm {
			vols[vm["name"].(string)] = true
		}
	}
	ms, _ := c["volumeMounts"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		if !vols[mm["name"].(string)] {
			continue
		}
		mp, _ := mm["mountPath"].(string)
		if sp, _ := mm["subPath"].(string); sp != "" {
			if sp == key && mp == path {
				return true
			}
		} else if strings.TrimSuffix(mp, "/")+"/"+key == path {
			return true
		}
	}
	return false
}

// servicePort is the Service's port entry for port, as {port, targetPort}.
func servicePort(t *testing.T, svc *yaml.RNode, port int) any {
	t.Helper()
	if svc == nil {
		return nil
	}
	ps, _ := loopback.Nested(toMap(t, svc), "spec", "ports").([]any)
	for _, p := range ps {
		pm, _ := p.(map[string]any)
		if n, _ := pm["port"].(float64); int(n) == port {
			return map[string]any{"port": pm["port"], "targetPort": pm["targetPort"]}
		}
	}
	return nil
}

func pdbMin(t *testing.T, objs []*yaml.RNode, ns string) any {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "PodDisruptionBudget" && o.GetNamespace() == ns {
			return loopback.Nested(toMap(t, o), "spec", "minAvailable")
		}
	}
	return nil
}

// provider is the named extension provider of a mesh config.
func provider(t *testing.T, mesh, name string) any {
	t.Helper()
	var m struct {
		ExtensionProviders []map[string]any `json:"extensionProviders"`
	}
	if err := sigsyaml.Unmarshal([]byte(mesh), &m); err != nil {
		t.Fatalf("mesh config: %v", err)
	}
	for _, p := range m.ExtensionProviders {
		if p["name"] == name {
			return p
		}
	}
	return nil
}

func deepEq(a, b any) bool {
	ja, _ := sigsyaml.Marshal(a)
	jb, _ := sigsyaml.Marshal(b)
	return string(ja) == string(jb)
}
