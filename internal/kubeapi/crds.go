package kubeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/yaml"

	"meshauth.dev/meshauth/internal/versions"
)

// crdTimeout bounds how long CRDs may take to be served.
const crdTimeout = 60 * time.Second

// IstioCRDFile is Istio's CRDs (OpenAPI schemas and CEL rules) from the
// istio.io/istio module the nested module e2e/istiod pins, in the module
// cache. `make istio-crds` (cd e2e/istiod && go mod download istio.io/istio)
// puts it there on a fresh machine.
func IstioCRDFile() (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), versions.IstioModule+"@"+versions.IstioModuleVersion,
		"manifests", "charts", "base", "files", "crd-all.gen.yaml")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("Istio's CRDs are not in the module cache (%v): run `make istio-crds`", err)
	}
	return p, nil
}

// GatewayAPICRDFiles are the Kubernetes Gateway API's standard-channel CRDs
// (with their CEL rules) from the sigs.k8s.io/gateway-api module both go.mod
// files require, in the module cache. Only the standard channel: each bundle
// carries a safe-upgrades policy that blocks mixing channels.
func GatewayAPICRDFiles() ([]string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), versions.GatewayAPIModule+"@"+versions.GatewayAPIModuleVersion, "config", "crd", "standard")
	files, err := filepath.Glob(filepath.Join(dir, versions.GatewayAPIGroup+"_*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("the Gateway API CRDs are not in the module cache (%s): run `go mod download %s`", dir, versions.GatewayAPIModule)
	}
	return files, nil
}

// Objects splits a multi-document YAML (or JSON) stream into objects,
// skipping empty documents.
func Objects(data []byte) ([]map[string]any, error) {
	d := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []map[string]any
	for {
		var m map[string]any
		err := d.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			out = append(out, m)
		}
	}
}

// InstallCRDs applies every CustomResourceDefinition in data and waits
// until each is Established and its kinds are served.
func (s *Server) InstallCRDs(ctx context.Context, data []byte) error {
	objs, err := Objects(data)
	if err != nil {
		return fmt.Errorf("reading CRDs: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, crdTimeout)
	defer cancel()
	var names []string
	for _, o := range objs {
		if o["kind"] != "CustomResourceDefinition" {
			continue
		}
		if err := s.Apply(ctx, o, false); err != nil {
			return fmt.Errorf("applying CRD %v: %w", o["metadata"], err)
		}
		names = append(names, o["metadata"].(map[string]any)["name"].(string))
	}
	for _, n := range names {
		if err := s.waitEstablished(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// waitEstablished polls the CRD until Established and then discovery until
// its kind is served in every served version: a poll with a deadline.
func (s *Server) waitEstablished(ctx context.Context, name string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		data, err := s.Do(ctx, http.MethodGet, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+name, "", nil)
		if err == nil {
			var crd struct {
				Spec struct {
					Group    string                `json:"group"`
					Names    struct{ Kind string } `json:"names"`
					Versions []struct {
						Name   string `json:"name"`
						Served bool   `json:"served"`
					} `json:"versions"`
				} `json:"spec"`
				Status struct {
					Conditions []struct{ Type, Status, Message string } `json:"conditions"`
				} `json:"status"`
			}
			_ = json.Unmarshal(data, &crd)
			established := false
			for _, c := range crd.Status.Conditions {
				if c.Type == "Established" && c.Status == "True" {
					established = true
				}
				last = c.Type + "=" + c.Status + " " + c.Message
			}
			if established {
				served := true
				for _, v := range crd.Spec.Versions {
					if v.Served {
						if _, err := s.resourceFor(ctx, crd.Spec.Group+"/"+v.Name, crd.Spec.Names.Kind); err != nil {
							served, last = false, err.Error()
						}
					}
				}
				if served {
					return nil
				}
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRD %s not served within %s: %s", name, crdTimeout, last)
		case <-tick.C:
		}
	}
}
