package checkserver

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"meshauth.dev/meshauth/checkserver/authn"
)

func TestBearerToken(t *testing.T) {
	type scenario struct {
		values      []string
		want        string
		wantPresent bool
		wantErr     bool
	}
	tests := map[string]scenario{
		"absent":                  {},
		"bearer":                  {values: []string{"Bearer abc.def.ghi"}, want: "abc.def.ghi", wantPresent: true},
		"scheme case-insensitive": {values: []string{"bearer abc"}, want: "abc", wantPresent: true},
		"duplicate headers":       {values: []string{"Bearer a", "Bearer b"}, wantPresent: true, wantErr: true},
		"comma joined":            {values: []string{"Bearer a, Bearer b"}, wantPresent: true, wantErr: true},
		"basic scheme":            {values: []string{"Basic YWxpY2U6eA=="}, wantPresent: true, wantErr: true},
		"token only":              {values: []string{"abc.def.ghi"}, wantPresent: true, wantErr: true},
		"empty value":             {values: []string{""}, wantPresent: true, wantErr: true},
		"empty token":             {values: []string{"Bearer "}, wantPresent: true, wantErr: true},
		"double space":            {values: []string{"Bearer  abc"}, wantPresent: true, wantErr: true},
		"trailing space trimmed":  {values: []string{"Bearer abc "}, want: "abc", wantPresent: true},
		"leading tab trimmed":     {values: []string{"\tBearer abc"}, want: "abc", wantPresent: true},
		"CR LF inside":            {values: []string{"Bearer abc\r\nX-Injected: 1"}, wantPresent: true, wantErr: true},
		"NUL":                     {values: []string{"Bearer a\x00b"}, wantPresent: true, wantErr: true},
		"too large":               {values: []string{"Bearer " + strings.Repeat("a", 301)}, wantPresent: true, wantErr: true},
		"at the cap":              {values: []string{"Bearer " + strings.Repeat("a", 300)}, want: strings.Repeat("a", 300), wantPresent: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Authorization", v)
			}
			got, present, err := bearerToken(h, 300)
			if got != tc.want || present != tc.wantPresent || (err != nil) != tc.wantErr {
				t.Fatalf("got %q, %v, %v", got, present, err)
			}
			if err != nil && !errors.Is(err, authn.ErrInvalid) {
				t.Fatalf("err %v is not ErrInvalid", err)
			}
		})
	}
}
