package loopback

import (
	"fmt"
	"strconv"
	"strings"
)

// Workload is one container of an emitted Deployment (or of a Deployment
// patch), which the stack runs as a process.
type Workload struct {
	Deployment string // namespace/name, for messages
	Namespace  string
	Container  map[string]any
	Volumes    []any // the pod's, which the container's volumeMounts name (SecretFiles)
}

// ContainerOf returns the container name of a Deployment object (the only
// one when name is "").
func ContainerOf(dep map[string]any, name string) (Workload, error) {
	ns, depName := str(dep, "metadata", "namespace"), str(dep, "metadata", "name")
	w := Workload{Deployment: ns + "/" + depName, Namespace: ns}
	w.Volumes, _ = Nested(dep, "spec", "template", "spec", "volumes").([]any)
	cs, _ := Nested(dep, "spec", "template", "spec", "containers").([]any)
	for _, c := range cs {
		cm, _ := c.(map[string]any)
		if name == "" && len(cs) == 1 || cm["name"] == name {
			w.Container = cm
			return w, nil
		}
	}
	return w, fmt.Errorf("Deployment %s has no container %q", w.Deployment, name)
}

// Env resolves the container's env as the kubelet would: plain values,
// secretKeyRefs through secrets, and the fieldRef metadata.namespace
// (Kubeflow's Dex reads its namespace so). envFrom is not read: what it
// gives Dex (Kubeflow's Secrets) DexEnv stands in for. Anything else is an
// error, not a silent gap.
func (w Workload) Env(secrets Secrets) ([]string, error) {
	var env []string
	list, _ := w.Container["env"].([]any)
	for _, e := range list {
		em, _ := e.(map[string]any)
		name, _ := em["name"].(string)
		if v, ok := em["value"].(string); ok {
			env = append(env, name+"="+v)
			continue
		}
		if str(em, "valueFrom", "fieldRef", "fieldPath") == "metadata.namespace" {
			env = append(env, name+"="+w.Namespace)
			continue
		}
		ref, key := str(em, "valueFrom", "secretKeyRef", "name"), str(em, "valueFrom", "secretKeyRef", "key")
		if ref == "" {
			return nil, fmt.Errorf("%s: env %s: only value, secretKeyRef and the namespace fieldRef can run here: %v", w.Deployment, name, em)
		}
		v, ok := secrets[ref][key]
		if !ok {
			return nil, fmt.Errorf("%s: env %s reads Secret %s key %q, which the AuthConfig does not reference (test Secrets: %v)",
				w.Deployment, name, ref, key, secrets)
		}
		env = append(env, name+"="+v)
	}
	return env, nil
}

// ArgsWithConfig is the container's args as emitted with --config= pointed
// at path: the emitted workload must pass its config file by flag.
func (w Workload) ArgsWithConfig(path string) ([]string, error) {
	var args []string
	list, _ := w.Container["args"].([]any)
	saw := false
	for _, a := range list {
		s, _ := a.(string)
		if strings.HasPrefix(s, "--config=") {
			s, saw = "--config="+path, true
		}
		args = append(args, s)
	}
	if !saw {
		return nil, fmt.Errorf("%s: the container args %v do not pass --config=", w.Deployment, list)
	}
	return args, nil
}

// port resolves a Service targetPort (number or name) against the container.
func (w Workload) port(target any) (int, bool) {
	switch tp := target.(type) {
	case float64:
		return int(tp), true
	case string:
		if n, err := strconv.Atoi(tp); err == nil {
			return n, true
		}
		ports, _ := w.Container["ports"].([]any)
		for _, p := range ports {
			pm, _ := p.(map[string]any)
			if pm["name"] == tp {
				n, _ := pm["containerPort"].(float64)
				return int(n), true
			}
		}
	}
	return 0, false
}

// Nested is the value at path in a decoded object, nil when absent.
func Nested(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func str(m map[string]any, path ...string) string {
	s, _ := Nested(m, path...).(string)
	return s
}
