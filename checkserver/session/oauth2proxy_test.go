package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"meshauth.dev/meshauth/checkserver/authn"
	"meshauth.dev/meshauth/checkserver/config"
)

// fakeProxy follows oauth2-proxy's /oauth2/auth contract: 202 with
// X-Auth-Request-Email/-Groups for a valid session cookie, 401 otherwise.
func fakeProxy(t *testing.T, handler http.HandlerFunc) config.OAuth2Proxy {
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c := config.Default().OAuth2Proxy
	c.URL = srv.URL
	c.Timeout = config.D(2 * time.Second)
	return c
}

func TestAuthenticate(t *testing.T) {
	type scenario struct {
		handler http.HandlerFunc
		cookie  string
		want    Result
		wantErr error
	}
	ok := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth2/auth" || r.Header.Get("Authorization") != "" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		if r.Header.Get("Cookie") != "_oauth2_proxy=good" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Auth-Request-Email", "alice@example.com")
		w.Header().Set("X-Auth-Request-Groups", "admins, dev,")
		w.Header().Add("Set-Cookie", "_oauth2_proxy=refreshed; Path=/")
		w.WriteHeader(http.StatusAccepted)
	}
	valid := Result{
		Identity:  authn.Identity{User: "alice@example.com", Groups: []string{"admins", "dev"}, Method: "cookie"},
		SetCookie: []string{"_oauth2_proxy=refreshed; Path=/"},
	}
	tests := map[string]scenario{
		"valid session": {handler: ok, cookie: "_oauth2_proxy=good",
			want: valid},
		"no session":  {handler: ok, cookie: "_oauth2_proxy=bad", wantErr: authn.ErrInvalid},
		"forbidden":   {handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }, cookie: "a=b", wantErr: authn.ErrForbidden},
		"proxy error": {handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, cookie: "a=b", wantErr: authn.ErrUnavailable},
		"redirect is not an answer": {handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, cookie: "a=b", wantErr: authn.ErrUnavailable},
		"202 without email": {handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) }, cookie: "a=b", wantErr: authn.ErrInvalid},
		"ID token of set_authorization_header": {handler: withAuthorization(ok, "Bearer a.b.c"), cookie: "_oauth2_proxy=good",
			want: Result{Identity: valid.Identity, SetCookie: valid.SetCookie, IDToken: "a.b.c"}},
		"two Authorization headers give no ID token": {handler: withAuthorization(ok, "Bearer a.b.c", "Bearer d.e.f"),
			cookie: "_oauth2_proxy=good", want: valid},
		"a Basic Authorization is no ID token": {handler: withAuthorization(ok, "Basic YTpi"), cookie: "_oauth2_proxy=good", want: valid},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := New(fakeProxy(t, tc.handler))
			s, err := c.Parse(http.Header{"Cookie": {tc.cookie}, "Authorization": {"Bearer x"}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Authenticate(context.Background(), s)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

// withAuthorization answers as h does, with these Authorization headers.
func withAuthorization(h http.HandlerFunc, values ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Authorization"] = values
		h(w, r)
	}
}

func TestAuthenticateUnreachable(t *testing.T) {
	c := config.Default().OAuth2Proxy
	c.URL = "http://127.0.0.1:1"
	if _, err := New(c).Authenticate(context.Background(), Session{Present: true, Header: "a=b"}); !errors.Is(err, authn.ErrUnavailable) {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestParse(t *testing.T) {
	type scenario struct {
		cookieName string
		cookies    []string
		want       string // the header forwarded; "" = not present
		wantErr    bool
	}
	tests := map[string]scenario{
		"no cookie":                 {},
		"any cookie without a name": {cookies: []string{"x=1"}, want: "x=1"},
		"named cookie":              {cookieName: "_oauth2_proxy", cookies: []string{"x=1; _oauth2_proxy=v"}, want: "_oauth2_proxy=v"},
		"split cookie parts":        {cookieName: "_oauth2_proxy", cookies: []string{"_oauth2_proxy_0=v", "_oauth2_proxy_1=w"}, want: "_oauth2_proxy_0=v; _oauth2_proxy_1=w"},
		"gRPC comma-joined repeats": {cookieName: "_oauth2_proxy", cookies: []string{"_oauth2_proxy_0=v,_oauth2_proxy_1=w"}, want: "_oauth2_proxy_0=v; _oauth2_proxy_1=w"},
		"other cookie only":         {cookieName: "_oauth2_proxy", cookies: []string{"x=1", "_oauth2_proxy_csrf=v"}},
		"surrounding space":         {cookieName: "_oauth2_proxy", cookies: []string{" _oauth2_proxy=v ;"}, want: "_oauth2_proxy=v"},
		"CR LF":                     {cookieName: "_oauth2_proxy", cookies: []string{"_oauth2_proxy=v\r\nX: y"}, wantErr: true},
		"NUL in another cookie":     {cookieName: "_oauth2_proxy", cookies: []string{"_oauth2_proxy=v; x=\x00"}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := config.Default().OAuth2Proxy
			c.CookieName = tc.cookieName
			h := http.Header{}
			for _, v := range tc.cookies {
				h.Add("Cookie", v)
			}
			s, err := New(c).Parse(h)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, authn.ErrInvalid)) {
				t.Fatalf("err = %v, want invalid: %v", err, tc.wantErr)
			}
			if s.Header != tc.want || s.Present != (tc.want != "") {
				t.Fatalf("Parse = %+v, want header %q", s, tc.want)
			}
		})
	}
}
