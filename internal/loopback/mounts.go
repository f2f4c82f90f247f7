package loopback

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Mounted Secrets, on loopback. In a pod the kubelet writes each key of a
// mounted Secret volume as a file under the mount's mountPath, and the
// emitted config names that path (oauth2-proxy's redis_ca_path). Here
// SecretFiles writes the same files under a local directory, and
// mountedFlags passes each config option whose value lies under a mountPath
// as the option's flag pointing at the local file: the config file stays
// the emitted one byte for byte (a flag overrides it). A path that misses
// the emitted mount (another mountPath, an item's path) is not mapped, so
// the program fails on the missing file as the pod would.

// SecretFiles writes the files of the container's Secret volume mounts
// under dir, one directory per mount: the volume's items (key → path), or
// every key of the Secret when it lists none. It returns mountPath → that
// directory. Other volumes (the config ConfigMap, which ArgsWithConfig
// replaces) are not read.
func (w Workload) SecretFiles(dir string, secrets Secrets) (map[string]string, error) {
	volumes := map[string]map[string]any{}
	for _, v := range w.Volumes {
		vm, _ := v.(map[string]any)
		if sec, ok := vm["secret"].(map[string]any); ok {
			volumes[str(vm, "name")] = sec
		}
	}
	mounts := map[string]string{}
	list, _ := w.Container["volumeMounts"].([]any)
	for i, m := range list {
		mm, _ := m.(map[string]any)
		sec, ok := volumes[str(mm, "name")]
		if !ok {
			continue
		}
		if str(mm, "subPath") != "" {
			return nil, fmt.Errorf("%s: volumeMount %s: a subPath cannot run here yet", w.Deployment, str(mm, "name"))
		}
		files, err := secretItems(w.Deployment, str(mm, "name"), sec, secrets)
		if err != nil {
			return nil, err
		}
		local := filepath.Join(dir, fmt.Sprint(i))
		for path, v := range files {
			p := filepath.Join(local, path)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
				return nil, err
			}
		}
		mounts[str(mm, "mountPath")] = local
	}
	return mounts, nil
}

// secretItems is what a Secret volume holds: path in the volume → value.
func secretItems(dep, volume string, sec map[string]any, secrets Secrets) (map[string]string, error) {
	name := str(sec, "secretName")
	keys := map[string]string{} // path → key
	items, _ := sec["items"].([]any)
	for _, it := range items {
		im, _ := it.(map[string]any)
		keys[str(im, "path")] = str(im, "key")
	}
	if len(items) == 0 {
		for k := range secrets[name] {
			keys[k] = k
		}
	}
	files := map[string]string{}
	for path, key := range keys {
		v, ok := secrets[name][key]
		if !ok {
			return nil, fmt.Errorf("%s: volume %s mounts Secret %s key %q, which the AuthConfig does not reference (test Secrets: %v)",
				dep, volume, name, key, slices.Sorted(maps.Keys(secrets)))
		}
		files[path] = v
	}
	return files, nil
}

// mountedFlags is --<option>=<local file> for every option of cfg (TOML,
// oauth2-proxy's: flag names are the option names with - for _) whose value
// is a path under one of mounts.
func mountedFlags(cfg string, mounts map[string]string) ([]string, error) {
	var opts map[string]any
	if _, err := toml.Decode(cfg, &opts); err != nil {
		return nil, fmt.Errorf("the emitted oauth2_proxy.cfg is not TOML: %w", err)
	}
	var flags []string
	for _, opt := range slices.Sorted(maps.Keys(opts)) {
		for mountPath, local := range mounts {
			switch v := opts[opt].(type) {
			case string:
				if rel, ok := strings.CutPrefix(v, mountPath+"/"); ok {
					flags = append(flags, "--"+strings.ReplaceAll(opt, "_", "-")+"="+filepath.Join(local, rel))
				}
			case []any:
				for _, e := range v {
					if s, _ := e.(string); strings.HasPrefix(s, mountPath+"/") {
						return nil, fmt.Errorf("oauth2_proxy.cfg %s lists %s, under the mounted Secret %s: a list of mounted files cannot run here yet", opt, s, mountPath)
					}
				}
			}
		}
	}
	return flags, nil
}
