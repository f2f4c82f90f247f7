package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type scenario struct {
		args       []string
		wantCode   int
		wantStderr string
	}
	tests := map[string]scenario{
		"no config":     {args: nil, wantCode: 2, wantStderr: "--config is required"},
		"bad flag":      {args: []string{"--nope"}, wantCode: 2, wantStderr: "flag provided but not defined"},
		"bad log level": {args: []string{"--config", "x", "--log-level", "loud"}, wantCode: 2, wantStderr: "bad --log-level"},
		"missing file":  {args: []string{"--config", filepath.Join(dir, "none.yaml")}, wantCode: 1, wantStderr: "no such file"},
		"invalid config reports field paths": {
			args:       []string{"--config", write("bad.yaml", "issuers: [{issuer: https://a, jwksURI: ftp://x}]\n")},
			wantCode:   1,
			wantStderr: `issuers[0].jwksURI: must be an https URL (got "ftp://x")`,
		},
		"unknown field": {
			args: []string{"--config", write("typo.yaml", "listen: {htttp: ':1'}\n")}, wantCode: 1, wantStderr: `unknown field "htttp"`,
		},
		"validate only": {args: []string{"--validate", "--config", write("ok.yaml", "oauth2Proxy: {url: http://p}\n")}, wantCode: 0, wantStderr: "config OK"},
		"port clash fails at start": {
			args:     []string{"--config", write("clash.yaml", "listen: {http: '127.0.0.1:0', grpc: '', ops: '256.0.0.1:1'}\n")},
			wantCode: 1, wantStderr: `"msg":"listening"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(tc.args, &stderr); code != tc.wantCode || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Fatalf("code %d, stderr %q; want %d containing %q", code, stderr.String(), tc.wantCode, tc.wantStderr)
			}
		})
	}
}
