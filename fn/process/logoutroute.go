package process

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"meshauth.dev/meshauth/fn/api"
)

// The logout route goes first in the VirtualService that serves the logout
// paths today (the dashboard's catch-all): Istio merges the routes of
// several VirtualServices on one gateway host in an order no route of ours
// could rely on. Kubeflow renamed that VirtualService (centraldashboard →
// dashboard), so when the AuthConfig names none, the one that serves the
// first logout path is found among the stream's VirtualServices on the
// gateway, whatever it is called.

// logoutTarget sets spec.logout.virtualService from the stream when the
// author left it unset and the default is not in the stream. It returns a
// result saying what it chose, or an error result when several qualify.
// With no candidate the default stays, and its absence is reported where
// every missing target is (missingTarget, which lists what the stream holds).
func logoutTarget(c *api.AuthConfig, cfg *fn.KubeObject, items fn.KubeObjects) *fn.Result {
	if _, set, _ := cfg.NestedString("spec", "logout", "virtualService", "name"); set {
		return nil
	}
	l := &c.Spec.Logout
	var serving []string
	for _, it := range items {
		if !isVirtualService(it) || !onGateway(it, c.Spec.Gateway.Name) {
			continue
		}
		if it.GetNamespace() == l.VirtualService.Namespace && it.GetName() == l.VirtualService.Name {
			return nil
		}
		if servesPath(it, l.Paths[0]) {
			serving = append(serving, it.GetNamespace()+"/"+it.GetName())
		}
	}
	switch len(serving) {
	case 0:
		return nil
	case 1:
		def := l.VirtualService.Namespace + "/" + l.VirtualService.Name
		ns, name, _ := strings.Cut(serving[0], "/")
		l.VirtualService = api.ObjectRef{Namespace: ns, Name: name}
		return &fn.Result{Severity: fn.Info, Field: &fn.Field{Path: "spec.logout.virtualService"},
			Message: fmt.Sprintf("logout: spec.logout.virtualService is not set and %s is not in the stream; the logout route goes first in VirtualService %s, which serves %s on the gateway %s", def, serving[0], l.Paths[0], c.Spec.Gateway.Name)}
	}
	slices.Sort(serving)
	return &fn.Result{Severity: fn.Error, Field: &fn.Field{Path: "spec.logout.virtualService"},
		Message: fmt.Sprintf("logout: several VirtualServices on the gateway %s serve %s (%s), so the logout route has no one place to go first; set spec.logout.virtualService to the one that serves it to browsers (the dashboard's)", c.Spec.Gateway.Name, l.Paths[0], strings.Join(serving, ", "))}
}

func isVirtualService(o *fn.KubeObject) bool {
	return o.GetKind() == "VirtualService" && strings.HasPrefix(o.GetAPIVersion(), "networking.istio.io/")
}

// onGateway: spec.gateways names gateway ("namespace/name"), also as the
// bare name from the gateway's own namespace.
func onGateway(vs *fn.KubeObject, gateway string) bool {
	gws, _, _ := vs.NestedStringSlice("spec", "gateways")
	ns, name, _ := strings.Cut(gateway, "/")
	for _, g := range gws {
		if g == gateway || g == name && vs.GetNamespace() == ns {
			return true
		}
	}
	return false
}

// servesPath: some HTTP route of vs matches path by its URI alone (a route
// without a match, or whose match has only a uri that covers path). A
// route that also needs a header, method or port is not a catch-all.
func servesPath(vs *fn.KubeObject, path string) bool {
	routes, _, _ := vs.NestedSlice("spec", "http")
	for _, r := range routes {
		matches, _, _ := r.NestedSlice("match")
		if len(matches) == 0 {
			return true
		}
		for _, m := range matches {
			if uriCovers(m, path) {
				return true
			}
		}
	}
	return false
}

func uriCovers(m *fn.SubObject, path string) bool {
	var match map[string]any
	if m.As(&match) != nil {
		return false
	}
	for k := range match {
		if k != "uri" && k != "name" && k != "ignoreUriCase" {
			return false
		}
	}
	uri, _ := match["uri"].(map[string]any)
	if b, _ := match["ignoreUriCase"].(bool); b {
		path = strings.ToLower(path)
		for k, v := range uri {
			if s, ok := v.(string); ok && k != "regex" {
				uri[k] = strings.ToLower(s)
			}
		}
	}
	switch {
	case uri == nil:
		return true
	case uri["prefix"] != nil:
		p, _ := uri["prefix"].(string)
		return strings.HasPrefix(path, p)
	case uri["exact"] != nil:
		return uri["exact"] == path
	case uri["regex"] != nil:
		r, _ := uri["regex"].(string)
		re, err := regexp.Compile("^(?:" + r + ")$")
		return err == nil && re.MatchString(path)
	}
	return false
}
