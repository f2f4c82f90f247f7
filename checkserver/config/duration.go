package config

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("30s", "5m")
// in YAML and JSON. Numbers are refused on purpose: a bare integer would be
// read as nanoseconds, the classic "timeout: 30" mistake.
type Duration struct {
	time.Duration
}

// D builds a Duration; it keeps Default() and generator code short.
func D(d time.Duration) Duration { return Duration{d} }

// MarshalJSON writes the canonical string form so generated ConfigMaps are stable.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Duration.String())
}

// UnmarshalJSON accepts only a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"30s\" (got %s)", string(b))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: %v", s, err)
	}
	d.Duration = v
	return nil
}
