package generators

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// workload is the Deployment shape every meshauth workload shares: its own
// ServiceAccount, restricted pod and container security, the ConfigMap of
// the same name mounted read-only at mountPath, and a hash of the config in
// the pod template so a config change rolls the pods.
func workload(ns, name string, replicas *int32, cfg, mountPath string, pod corev1.PodSpec, c corev1.Container) *appsv1.Deployment {
	c.Name = name
	c.SecurityContext = restrictedContainer()
	c.VolumeMounts = []corev1.VolumeMount{{Name: "config", MountPath: mountPath, ReadOnly: true}}
	pod.ServiceAccountName = name
	pod.SecurityContext = restrictedPod()
	pod.Containers = []corev1.Container{c}
	pod.Volumes = []corev1.Volume{{
		Name: "config",
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: name},
		}},
	}}
	return &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: objectMeta(ns, name, appLabels(name)),
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Selector: &metav1.LabelSelector{MatchLabels: selectorLabels(name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      appLabels(name),
					Annotations: map[string]string{ConfigHashAnnotation: hash(cfg)},
				},
				Spec: pod,
			},
		},
	}
}

// addWorkload emits what every meshauth workload ships, in this order: its
// ServiceAccount, its ConfigMap (cfg under file), the Deployment, the
// Service on ports and, with more than one replica, a PodDisruptionBudget.
func (c *collect) addWorkload(dep *appsv1.Deployment, file, cfg string, ports ...corev1.ServicePort) {
	ns, name := dep.Namespace, dep.Name
	c.add(fromTyped(&corev1.ServiceAccount{
		TypeMeta:   typeMeta("v1", "ServiceAccount"),
		ObjectMeta: objectMeta(ns, name, appLabels(name)),
	}))
	c.add(fromTyped(&corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: objectMeta(ns, name, appLabels(name)),
		Data:       map[string]string{file: cfg},
	}))
	c.add(fromTyped(dep))
	c.add(fromTyped(&corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: objectMeta(ns, name, appLabels(name)),
		Spec:       corev1.ServiceSpec{Selector: selectorLabels(name), Ports: ports},
	}))
	if r := dep.Spec.Replicas; r != nil && *r > 1 {
		c.add(fromTyped(pdb(ns, name)))
	}
}

// httpProbe is a GET of path on the named container port.
func httpProbe(path, port string, periodSeconds int32) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: path, Port: intstr.FromString(port),
	}}, PeriodSeconds: periodSeconds, TimeoutSeconds: 2}
}
