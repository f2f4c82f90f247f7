package kubeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// resource is where the API serves one kind.
type resource struct {
	plural     string
	namespaced bool
}

// path maps an object to its collection and item URL paths through the
// API's discovery documents (as kubectl's REST mapper does). A kind the
// cache does not know refreshes its group version once: CRDs arrive late.
func (s *Server) path(ctx context.Context, m map[string]any) (collection, item string, err error) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if apiVersion == "" || kind == "" {
		return "", "", fmt.Errorf("object without apiVersion or kind")
	}
	r, err := s.resourceFor(ctx, apiVersion, kind)
	if err != nil {
		return "", "", err
	}
	base := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		base = "/api/" + apiVersion
	}
	switch {
	case r.namespaced && ns == "":
		return "", "", fmt.Errorf("%s %s is namespaced but has no metadata.namespace", kind, name)
	case r.namespaced:
		collection = base + "/namespaces/" + ns + "/" + r.plural
	case ns != "":
		return "", "", fmt.Errorf("%s %s is cluster-scoped but has metadata.namespace %q", kind, name, ns)
	default:
		collection = base + "/" + r.plural
	}
	item = collection + "/" + name
	if name == "" {
		item = ""
	}
	return collection, item, nil
}

func (s *Server) resourceFor(ctx context.Context, apiVersion, kind string) (resource, error) {
	key := apiVersion + "/" + kind
	s.mu.Lock()
	r, ok := s.resources[key]
	s.mu.Unlock()
	if ok {
		return r, nil
	}
	base := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		base = "/api/" + apiVersion
	}
	data, err := s.Do(ctx, http.MethodGet, base, "", nil)
	if err != nil {
		return resource{}, fmt.Errorf("no API serves %s (discovery of %s: %v)", apiVersion, base, err)
	}
	var list metav1.APIResourceList
	if err := json.Unmarshal(data, &list); err != nil {
		return resource{}, fmt.Errorf("discovery of %s: %w", base, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resources == nil {
		s.resources = map[string]resource{}
	}
	for _, ar := range list.APIResources {
		if !strings.Contains(ar.Name, "/") { // not a subresource
			s.resources[apiVersion+"/"+ar.Kind] = resource{plural: ar.Name, namespaced: ar.Namespaced}
		}
	}
	if r, ok = s.resources[key]; !ok {
		return resource{}, fmt.Errorf("%s does not serve kind %s", apiVersion, kind)
	}
	return r, nil
}
