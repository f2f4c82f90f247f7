package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultIsValid(t *testing.T) {
	if errs := Default().Validate(); len(errs) != 0 {
		t.Fatalf("Default() is invalid: %v", errs)
	}
}

func TestParse(t *testing.T) {
	type scenario struct {
		yaml    string
		wantErr string
		check   func(t *testing.T, c Config)
	}
	tests := map[string]scenario{
		"empty keeps defaults": {
			yaml:  "",
			check: func(t *testing.T, c Config) { assertEqual(t, Default().WithDefaults(), c) },
		},
		"unknown field rejected": {
			yaml:    "listen: {htp: ':1'}",
			wantErr: `unknown field "htp"`,
		},
		"numeric duration rejected": {
			yaml:    "leeway: 30",
			wantErr: "duration must be a string",
		},
		"issuer defaults applied": {
			yaml: "issuers: [{issuer: https://a, jwksURI: https://a/k, audiences: [x]}]",
			check: func(t *testing.T, c Config) {
				is := c.Issuers[0]
				assertEqual(t, []string{"RS256"}, is.Algorithms)
				assertEqual(t, "sub", is.UserClaim)
				assertEqual(t, "groups", is.GroupsClaim)
			},
		},
		"access rules: a rule's needs are its own fields": {
			yaml: "access: {groupsClaim: groups, rules: [{name: p, paths: [/pipeline/], groups: [admin], claim: {name: dept, values: [ml]}}]}",
			check: func(t *testing.T, c Config) {
				r := c.Access.Rules[0]
				assertEqual(t, []string{"admin"}, r.Groups)
				assertEqual(t, []string{"ml"}, r.Claim.Values)
			},
		},
		"misspelled access need rejected": {
			yaml:    "access: {rules: [{name: p, group: [admin]}]}",
			wantErr: `unknown field "group"`,
		},
		"durations parsed": {
			yaml: "cache: {size: 0, maxTTL: 90s}",
			check: func(t *testing.T, c Config) {
				assertEqual(t, 90*time.Second, c.Cache.MaxTTL.Duration)
				assertEqual(t, 0, c.Cache.Size)
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestDurationRoundTrip(t *testing.T) {
	b, err := D(90 * time.Second).MarshalJSON()
	if err != nil || string(b) != `"1m30s"` {
		t.Fatalf("MarshalJSON = %s, %v", b, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("listen: {http: ':1', grpc: '', ops: ':2'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("maxTokenBytes: 1\nleeway: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(good)
	if err != nil || c.Listen.HTTP != ":1" || c.Listen.GRPC != "" {
		t.Fatalf("Load(good) = %+v, %v", c.Listen, err)
	}
	_, err = Load(bad)
	if err == nil || !strings.Contains(err.Error(), "maxTokenBytes:") || !strings.Contains(err.Error(), "leeway:") {
		t.Fatalf("Load(bad) should report both problems, got %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("Load(missing) succeeded")
	}
}

func assertEqual(t *testing.T, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}
