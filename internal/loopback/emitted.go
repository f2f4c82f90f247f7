package loopback

import (
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"meshauth.dev/meshauth/fn/process"
)

// Emitted is authconfig-fn's output in resources mode: the finished
// objects, by kind, namespace and name.
type Emitted struct {
	objs map[string]*fn.KubeObject // nil: the output holds it twice
}

// Render runs the function in process, in resources mode, with authConfig
// as its config over the objects of pkg (multi-document YAML). Resources
// mode refuses a package without the objects it patches (the mesh
// ConfigMap, istiod, Dex, the dashboard VirtualService).
func Render(authConfig, pkg []byte) (Emitted, error) {
	cfg, err := fn.ParseKubeObject(authConfig)
	if err != nil {
		return Emitted{}, err
	}
	if err := cfg.SetAnnotation(process.OutputAnnotation, string(process.Resources)); err != nil {
		return Emitted{}, err
	}
	items, err := fn.ParseKubeObjects(pkg)
	if err != nil {
		return Emitted{}, err
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: cfg}
	if ok, err := (process.Processor{}).Process(rl); err != nil || !ok {
		return Emitted{}, fmt.Errorf("authconfig-fn refused the AuthConfig: %v %v", err, rl.Results)
	}
	e := Emitted{objs: map[string]*fn.KubeObject{}}
	for _, o := range rl.Items {
		k := objectKey(o.GetKind(), o.GetNamespace(), o.GetName())
		if _, twice := e.objs[k]; twice {
			o = nil
		}
		e.objs[k] = o
	}
	return e, nil
}

func objectKey(kind, ns, name string) string { return kind + " " + ns + "/" + name }

// Get is the one emitted object of this kind, namespace and name, as the
// plain data the steps read (decoded on demand: the Kubeflow package holds
// hundreds of objects the stack never reads).
func (e Emitted) Get(kind, ns, name string) (map[string]any, error) {
	o, ok := e.objs[objectKey(kind, ns, name)]
	switch {
	case !ok:
		return nil, fmt.Errorf("authconfig-fn emitted no %s %s/%s", kind, ns, name)
	case o == nil:
		return nil, fmt.Errorf("authconfig-fn emitted %s %s/%s twice", kind, ns, name)
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(o.String()), &m); err != nil {
		return nil, fmt.Errorf("emitted %s %s/%s: %w", kind, ns, name, err)
	}
	return m, nil
}

// ConfigMapKey is data[key] of an emitted ConfigMap.
func (e Emitted) ConfigMapKey(ns, name, key string) (string, error) {
	cm, err := e.Get("ConfigMap", ns, name)
	if err != nil {
		return "", err
	}
	if v := str(cm, "data", key); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("the emitted ConfigMap %s/%s has no data[%q]", ns, name, key)
}

// Source is where one program of the stack is in the output: the
// ConfigMap key holding its config file and the Deployment container that
// reads it.
type Source struct{ Namespace, ConfigMap, Key, Deployment, Container string }

// Program is src's config file and container.
func (e Emitted) Program(src Source) (string, Workload, error) {
	cfg, err := e.ConfigMapKey(src.Namespace, src.ConfigMap, src.Key)
	if err != nil {
		return "", Workload{}, err
	}
	w, err := e.Workload(src.Namespace, src.Deployment, src.Container)
	return cfg, w, err
}

// Workload is a container of an emitted Deployment.
func (e Emitted) Workload(ns, name, container string) (Workload, error) {
	dep, err := e.Get("Deployment", ns, name)
	if err != nil {
		return Workload{}, err
	}
	return ContainerOf(dep, container)
}
