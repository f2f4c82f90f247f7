package outputcheck

import (
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// kubeKinds lists the built-in kinds that are strictly decoded, by group
// and kind, with a constructor per served version. A known group and kind
// under another version (extensions/v1beta1 Deployment, autoscaling/v2beta2
// HorizontalPodAutoscaler) is reported: current clusters no longer serve it.
var kubeKinds = map[gk]map[string]func() any{
	{"", "Namespace"}:             {"v1": func() any { return &corev1.Namespace{} }},
	{"", "ServiceAccount"}:        {"v1": func() any { return &corev1.ServiceAccount{} }},
	{"", "ConfigMap"}:             {"v1": func() any { return &corev1.ConfigMap{} }},
	{"", "Secret"}:                {"v1": func() any { return &corev1.Secret{} }},
	{"", "Service"}:               {"v1": func() any { return &corev1.Service{} }},
	{"", "Pod"}:                   {"v1": func() any { return &corev1.Pod{} }},
	{"", "PodTemplate"}:           {"v1": func() any { return &corev1.PodTemplate{} }},
	{"", "PersistentVolumeClaim"}: {"v1": func() any { return &corev1.PersistentVolumeClaim{} }},
	{"", "PersistentVolume"}:      {"v1": func() any { return &corev1.PersistentVolume{} }},
	{"", "Endpoints"}:             {"v1": func() any { return &corev1.Endpoints{} }},
	{"", "LimitRange"}:            {"v1": func() any { return &corev1.LimitRange{} }},
	{"", "ResourceQuota"}:         {"v1": func() any { return &corev1.ResourceQuota{} }},
	{"", "ReplicationController"}: {"v1": func() any { return &corev1.ReplicationController{} }},

	{"apps", "Deployment"}:  {"v1": func() any { return &appsv1.Deployment{} }},
	{"apps", "StatefulSet"}: {"v1": func() any { return &appsv1.StatefulSet{} }},
	{"apps", "DaemonSet"}:   {"v1": func() any { return &appsv1.DaemonSet{} }},
	{"apps", "ReplicaSet"}:  {"v1": func() any { return &appsv1.ReplicaSet{} }},

	{"batch", "Job"}:     {"v1": func() any { return &batchv1.Job{} }},
	{"batch", "CronJob"}: {"v1": func() any { return &batchv1.CronJob{} }},

	{"policy", "PodDisruptionBudget"}: {"v1": func() any { return &policyv1.PodDisruptionBudget{} }},

	{"rbac.authorization.k8s.io", "Role"}:               {"v1": func() any { return &rbacv1.Role{} }},
	{"rbac.authorization.k8s.io", "ClusterRole"}:        {"v1": func() any { return &rbacv1.ClusterRole{} }},
	{"rbac.authorization.k8s.io", "RoleBinding"}:        {"v1": func() any { return &rbacv1.RoleBinding{} }},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding"}: {"v1": func() any { return &rbacv1.ClusterRoleBinding{} }},

	{"networking.k8s.io", "NetworkPolicy"}: {"v1": func() any { return &networkingv1.NetworkPolicy{} }},
	{"networking.k8s.io", "Ingress"}:       {"v1": func() any { return &networkingv1.Ingress{} }},
	{"networking.k8s.io", "IngressClass"}:  {"v1": func() any { return &networkingv1.IngressClass{} }},

	{"autoscaling", "HorizontalPodAutoscaler"}: {
		"v1": func() any { return &autoscalingv1.HorizontalPodAutoscaler{} },
		"v2": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	},

	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}:     {"v1": func() any { return &admissionregistrationv1.MutatingWebhookConfiguration{} }},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"}:   {"v1": func() any { return &admissionregistrationv1.ValidatingWebhookConfiguration{} }},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"}:        {"v1": func() any { return &admissionregistrationv1.ValidatingAdmissionPolicy{} }},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"}: {"v1": func() any { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} }},
	{"scheduling.k8s.io", "PriorityClass"}:                               {"v1": func() any { return &schedulingv1.PriorityClass{} }},
	{"storage.k8s.io", "StorageClass"}:                                   {"v1": func() any { return &storagev1.StorageClass{} }},
	{"coordination.k8s.io", "Lease"}:                                     {"v1": func() any { return &coordinationv1.Lease{} }},
	{"discovery.k8s.io", "EndpointSlice"}:                                {"v1": func() any { return &discoveryv1.EndpointSlice{} }},
}

// kube strictly decodes a built-in object and hands the typed value to the
// checks that look inside it (ConfigMaps carry the mesh, Dex and
// oauth2-proxy configs; Services are what routes and providers point at).
func (r *run) kube(o *object) {
	versions := kubeKinds[gk{o.group, o.kind}]
	newObj, ok := versions[o.version]
	if !ok {
		r.add(o, "apiVersion", "version "+o.version+" of "+o.kind+" is not served; use "+servedVersions(o.group, versions))
		return
	}
	if o.name == "" {
		r.add(o, "metadata.name", "required")
	}
	v := newObj()
	if errs := strictDecode(o.json, v); len(errs) > 0 {
		r.addAll(o, "", errs)
		return
	}
	switch v := v.(type) {
	case *corev1.ConfigMap:
		r.configMap(o, v)
	case *corev1.Service:
		r.facts.addService(o, v)
	case *gwv1.HTTPRoute:
		r.facts.addHTTPRoute(o, v)
	}
}

func servedVersions(group string, versions map[string]func() any) string {
	var vs []string
	for v := range versions {
		if group != "" {
			v = group + "/" + v
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return strings.Join(vs, " or ")
}

// configMap checks the configs that live as strings inside ConfigMaps: the
// API server sees only a string, so nothing else would catch a typo there.
func (r *run) configMap(o *object, cm *corev1.ConfigMap) {
	if mesh, ok := cm.Data["mesh"]; ok && isMeshConfigMapName(cm.Name) {
		r.meshConfig(o, "data[mesh]", mesh)
	}
	if cfg, ok := cm.Data["config.yaml"]; ok && cm.Name == "dex" {
		r.dexConfig(o, "data[config.yaml]", cfg)
	}
	if cfg, ok := cm.Data["oauth2_proxy.cfg"]; ok {
		r.oauth2ProxyConfig(o, "data[oauth2_proxy.cfg]", cfg)
	}
	if cfg, ok := cm.Data["config.yaml"]; ok && cm.Name == "check-server" {
		r.checkServerConfig(o, "data[config.yaml]", cfg)
	}
}
