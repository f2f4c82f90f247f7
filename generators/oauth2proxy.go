package generators

import (
	"crypto/sha256"
	"encoding/hex"

	networking "istio.io/api/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"meshauth.dev/meshauth/fn/api"
)

const (
	oauth2ProxyName = "oauth2-proxy"
	configFile      = "oauth2_proxy.cfg"
	// ConfigHashAnnotation on a pod template rolls the pods when the
	// configuration they read at start changes.
	ConfigHashAnnotation = "meshauth.dev/config-hash"
)

// OAuth2Proxy is the oauth2-proxy component: its namespace, workload,
// configuration and the gateway route for /oauth2/.
func OAuth2Proxy(c api.AuthConfig) (Component, error) {
	s := c.Spec
	ns := s.OAuth2Proxy.Namespace
	cfg, err := proxyConfigFor(s).encode()
	if err != nil {
		return Component{}, err
	}
	var out collect
	out.add(namespace(ns))
	out.addWorkload(oauth2ProxyDeployment(s, cfg), configFile, cfg, corev1.ServicePort{
		Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP,
	})
	out.add(istioObject("networking.istio.io/v1", "VirtualService", ns, oauth2ProxyName, &networking.VirtualService{
		Gateways: []string{s.Gateway.Name},
		Hosts:    []string{"*"},
		Http: []*networking.HTTPRoute{{
			Name:  "oauth2-proxy",
			Match: []*networking.HTTPMatchRequest{{Uri: prefixMatch("/oauth2/")}},
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{
				Host: serviceHost(oauth2ProxyName, ns),
				Port: &networking.PortSelector{Number: 80},
			}}},
		}},
	}))
	return Component{
		Doc:       "oauth2-proxy: the login session and the ext_authz check for browser requests",
		Resources: out.objs,
	}, out.err
}

func oauth2ProxyDeployment(s api.Spec, cfg string) *appsv1.Deployment {
	p := s.OAuth2Proxy
	env := []corev1.EnvVar{
		secretEnv("OAUTH2_PROXY_CLIENT_SECRET", p.ClientSecretRef),
		secretEnv("OAUTH2_PROXY_COOKIE_SECRET", p.CookieSecretRef),
	}
	if r := p.SessionStore.Redis; r != nil && r.PasswordSecretRef != nil {
		env = append(env, secretEnv("OAUTH2_PROXY_REDIS_PASSWORD", *r.PasswordSecretRef))
	}
	dep := workload(p.Namespace, oauth2ProxyName, p.Replicas, cfg, "/etc/oauth2-proxy", corev1.PodSpec{
		AutomountServiceAccountToken: new(false),
	}, corev1.Container{
		Image: p.Image,
		Args:  []string{"--config=/etc/oauth2-proxy/" + configFile},
		Env:   env,
		Ports: []corev1.ContainerPort{
			{Name: "http", ContainerPort: oauth2ProxyPort, Protocol: corev1.ProtocolTCP},
			{Name: "metrics", ContainerPort: oauth2ProxyMetricsPort, Protocol: corev1.ProtocolTCP},
		},
		LivenessProbe:  httpProbe("/ping", "http", 10),
		ReadinessProbe: httpProbe("/ready", "http", 10),
		Resources:      requests("10m", "32Mi"),
	})
	if r := p.SessionStore.Redis; r != nil && r.CASecretRef != nil {
		// redis_ca_path reads the CA bundle from a file.
		pod := &dep.Spec.Template.Spec
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "redis-ca", VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: r.CASecretRef.Name, Items: []corev1.KeyToPath{{Key: r.CASecretRef.Key, Path: r.CASecretRef.Key}}},
		}})
		c := &pod.Containers[0]
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "redis-ca", MountPath: redisCAMount, ReadOnly: true})
	}
	if r := p.SessionStore.Redis; r != nil && r.Sentinel != nil && r.Sentinel.PasswordSecretRef != nil {
		c := &dep.Spec.Template.Spec.Containers[0]
		c.Env = append(c.Env, secretEnv("OAUTH2_PROXY_REDIS_SENTINEL_PASSWORD", *r.Sentinel.PasswordSecretRef))
	}
	return dep
}

// redisCAMount is where the Redis CA bundle Secret is mounted.
const redisCAMount = "/etc/oauth2-proxy-redis-ca"

func secretEnv(name string, ref api.SecretKeyRef) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: ref.Name}, Key: ref.Key,
	}}}
}

func pdb(ns, name string) *policyv1.PodDisruptionBudget {
	one := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: objectMeta(ns, name, appLabels(name)),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &one,
			Selector:     &metav1.LabelSelector{MatchLabels: selectorLabels(name)},
		},
	}
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
