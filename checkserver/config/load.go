package config

import (
	"errors"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Parse decodes YAML strictly over Default(): unknown or misspelled fields
// are errors, absent fields keep their defaults. It does not validate.
func Parse(data []byte) (Config, error) {
	c := Default()
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return Config{}, fmt.Errorf("decoding config: %w", err)
	}
	return c.WithDefaults(), nil
}

// Load reads, decodes and validates the file at path. Every validation
// problem is returned at once, joined.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if errs := c.Validate(); len(errs) > 0 {
		return Config{}, fmt.Errorf("%s: invalid config:\n%w", path, errors.Join(errs...))
	}
	return c, nil
}
