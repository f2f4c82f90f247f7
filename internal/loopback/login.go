package loopback

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Page is where a request landed.
type Page struct {
	URL    *url.URL // absolute, or a path on the public URL
	Status int
	Header http.Header
	Body   string
}

// Browser visits the public URL as a person's browser would: it keeps the
// cookies and follows redirects (GET after 302/303). A target is a path on
// the public URL or an absolute URL.
type Browser interface {
	Visit(ctx context.Context, method, target string, form url.Values) (Page, error)
}

// LoginStart is oauth2-proxy's sign-in, back to / afterwards.
const LoginStart = "/oauth2/start?rd=%2F"

var formRE = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)

// Login walks oauth2-proxy's sign-in → Dex's local login form → the
// callback as user (password Password), and returns the page it lands on;
// b then holds the session cookie.
func Login(ctx context.Context, b Browser, user string) (Page, error) {
	form, err := b.Visit(ctx, http.MethodGet, LoginStart, nil)
	if err != nil {
		return Page{}, err
	}
	m := formRE.FindStringSubmatch(form.Body)
	if form.Status != http.StatusOK || m == nil || !strings.Contains(form.Body, `name="password"`) {
		return form, fmt.Errorf("did not reach Dex's login form: %d %.300s", form.Status, form.Body)
	}
	action, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return form, fmt.Errorf("Dex's login form posts to %q: %w", m[1], err)
	}
	return b.Visit(ctx, http.MethodPost, form.URL.ResolveReference(action).String(),
		url.Values{"login": {user}, "password": {Password}})
}

// PasswordGrant returns an ID token for user from Dex's password grant
// (tokenURL, through b) for clientID, whose secret is ClientSecret: a
// Dex-issued RS256 bearer JWT.
func PasswordGrant(ctx context.Context, b Browser, tokenURL, clientID, user string) (string, error) {
	p, err := b.Visit(ctx, http.MethodPost, tokenURL, url.Values{
		"grant_type": {"password"}, "username": {user}, "password": {Password},
		"scope": {"openid email groups profile"}, "client_id": {clientID}, "client_secret": {ClientSecret},
	})
	if err != nil {
		return "", err
	}
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if p.Status != http.StatusOK || json.Unmarshal([]byte(p.Body), &tok) != nil || tok.IDToken == "" {
		return "", fmt.Errorf("Dex password grant for client %q = %d %.500s", clientID, p.Status, p.Body)
	}
	return tok.IDToken, nil
}

// Client is a Browser on an http.Client: the cookies in its jar, the
// redirects followed by it, targets resolved against Base (the public URL).
type Client struct {
	HTTP *http.Client
	Base *url.URL
}

func (c Client) Visit(ctx context.Context, method, target string, form url.Values) (Page, error) {
	u, err := c.Base.Parse(target)
	if err != nil {
		return Page{}, err
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return Page{}, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Page{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Page{}, err
	}
	return Page{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}
