package outputcheck

import "testing"

const validDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: oauth2-proxy
  namespace: oauth2-proxy
spec:
  replicas: 2
  selector:
    matchLabels: {app: oauth2-proxy}
  template:
    metadata:
      labels: {app: oauth2-proxy}
    spec:
      containers:
      - name: oauth2-proxy
        image: quay.io/oauth2-proxy/oauth2-proxy:v7.15.3
        ports:
        - containerPort: 4180
        resources:
          limits: {memory: 128Mi}
        securityContext:
          readOnlyRootFilesystem: true
`

func TestKube(t *testing.T) {
	tests := map[string]problemCase{
		"valid deployment": {doc: validDeployment},
		"unknown field deep in a pod template": {
			doc:  replace(validDeployment, "containerPort: 4180", "containerPort: 4180\n          protocl: TCP"),
			want: []string{"Deployment oauth2-proxy/oauth2-proxy: spec.template.spec.containers[0].ports[0].protocl: unknown field"},
		},
		"names are case sensitive": {
			doc:  replace(validDeployment, "readOnlyRootFilesystem", "readOnlyRootFileSystem"),
			want: []string{"Deployment oauth2-proxy/oauth2-proxy: spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field"},
		},
		"wrong type": {
			doc:  replace(validDeployment, "replicas: 2", "replicas: two"),
			want: []string{`Deployment oauth2-proxy/oauth2-proxy: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`},
		},
		"bad quantity": {
			doc:  replace(validDeployment, "memory: 128Mi", "memory: 128 MB"),
			want: []string{"Deployment oauth2-proxy/oauth2-proxy: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
		},
		"version no longer served": {
			doc:  "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a, namespace: b}\n",
			want: []string{"HorizontalPodAutoscaler b/a: apiVersion: version v2beta2 of HorizontalPodAutoscaler is not served; use autoscaling/v1 or autoscaling/v2"},
		},
		"name required": {
			doc:  "apiVersion: v1\nkind: ServiceAccount\nmetadata: {namespace: b}\n",
			want: []string{"ServiceAccount <no name>: metadata.name: required"},
		},
		"rbac": {
			doc:  "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\nrules:\n- apiGroups: [authentication.k8s.io]\n  resources: [tokenreviews]\n  verb: [create]\n",
			want: []string{"ClusterRole a: rules[0].verb: unknown field"},
		},
	}
	checkProblems(t, tests)
}

// replace is strings.Replace that fails loudly when a fixture edit misses.
func replace(s, old, new string) string {
	out := stringsReplaceOnce(s, old, new)
	if out == s {
		panic("fixture edit did not apply: " + old)
	}
	return out
}
