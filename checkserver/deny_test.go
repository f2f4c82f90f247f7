package checkserver

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnauthenticatedShape(t *testing.T) {
	s := &denyShaper{apiRoutes: []*regexp.Regexp{regexp.MustCompile("^/api/")}, signInPath: "/oauth2/start"}
	type scenario struct {
		path    string
		header  http.Header
		invalid bool
		want    Decision
	}
	redirect := func(rd string) Decision {
		return Decision{Status: 302, Downstream: []Header{{"Location", "/oauth2/start?rd=" + rd}}}
	}
	unauth := Decision{Status: 401, Body: "unauthorized\n", Downstream: []Header{{"WWW-Authenticate", `Bearer realm="meshauth"`}}}
	tests := map[string]scenario{
		"browser redirected with rd": {path: "/pipeline/?ns=a&b=1", want: redirect("%2Fpipeline%2F%3Fns%3Da%26b%3D1")},
		"api route":                  {path: "/api/v1/x", want: unauth},
		"api route ignores query":    {path: "/x?u=/api/", want: redirect("%2Fx%3Fu%3D%2Fapi%2F")},
		"xhr":                        {path: "/", header: http.Header{"X-Requested-With": {"XMLHttpRequest"}}, want: unauth},
		"json client":                {path: "/", header: http.Header{"Accept": {"text/html, application/json;q=0.9"}}, want: unauth},
		"bearer request": {path: "/", header: http.Header{"Authorization": {"Bearer x"}}, invalid: true, want: Decision{
			Status: 401, Body: "unauthorized\n", Downstream: []Header{{"WWW-Authenticate", `Bearer realm="meshauth", error="invalid_token"`}}}},
		"scheme-relative rd neutralised": {path: "//evil.example/x", want: redirect("%2F")},
		"backslash rd neutralised":       {path: `/\evil.example`, want: redirect("%2F")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			got := s.unauthenticated(&Request{Path: tc.path, Header: h}, tc.invalid)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestNoSignInMeansStatus(t *testing.T) {
	s := &denyShaper{}
	if got := s.unauthenticated(&Request{Path: "/", Header: http.Header{}}, false); got.Status != 401 {
		t.Fatalf("status = %d, want 401 when oauth2-proxy is off", got.Status)
	}
}
