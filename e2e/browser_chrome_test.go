package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Budgets of the browser flows: every wait is a condition polled until a deadline.
const (
	pageTimeout  = 20 * time.Second      // a navigation or a condition on a page
	pollInterval = 50 * time.Millisecond // how often a page condition is read
	chromeStart  = 30 * time.Second      // Chromium's first answer on the DevTools pipe
)

// chromiumBin is the Chromium the browser flows drive: $E2E_CHROMIUM, or the
// one `make chromium` installs from Debian's package. Without it the flows
// skip with one line saying how to get it.
func chromiumBin(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode")
	}
	p := os.Getenv("E2E_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		t.Skipf("browser e2e skipped: no Chromium at %s (run `make chromium` as root: apt-get install -y chromium; or set E2E_CHROMIUM)", p)
	}
	return p
}

// chrome is one headless Chromium for a test; each person gets a fresh
// browser context in it (own cookies, cache and history), so flows do not
// share state.
type chrome struct {
	browser context.Context
}

// startChrome starts Chromium with the flags that work on these machines
// (no background networking: the network beyond 127.0.0.1 is closed), the
// test hosts mapped to 127.0.0.1 and every other name unresolvable, and the
// test certificate trusted by its SPKI hash — certificate checks stay on.
func startChrome(t *testing.T, ctx context.Context, lg *logs, pki *testPKI, hosts []string) *chrome {
	t.Helper()
	bin := chromiumBin(t)
	var rules []string
	for _, h := range hosts {
		rules = append(rules, "MAP "+h+" 127.0.0.1")
	}
	rules = append(rules, "MAP * ~NOTFOUND")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("no-proxy-server", true),
		// The plain-http probe of the Secure flow must stay plain http.
		chromedp.Flag("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ", ")),
		chromedp.Flag("ignore-certificate-errors-spki-list", pki.spki),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(lg.get("chromium")),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := firstRun(browser, cancelBrowser); err != nil {
		t.Fatalf("Chromium (%s) does not start: %v", bin, err)
	}
	return &chrome{browser: browser}
}

// firstRun runs the first action of a chromedp context, which starts the
// browser or opens the tab bound to the context it runs on — so it must run
// on ctx itself, not on a context with a deadline; a timer bounds it instead.
func firstRun(ctx context.Context, cancel context.CancelFunc) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx, chromedp.Navigate("about:blank")) }()
	select {
	case err := <-done:
		return err
	case <-time.After(chromeStart):
		cancel()
		return fmt.Errorf("no answer within %s", chromeStart)
	}
}

// person is one user at one browser: a tab in a fresh browser context.
// When the test fails, the page's screenshot and HTML are saved and their
// paths printed.
type person struct {
	t   *testing.T
	ctx context.Context
}

func (c *chrome) person(t *testing.T) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := firstRun(ctx, cancel); err != nil {
		t.Fatalf("opening a tab in a new browser context: %v", err)
	}
	p := &person{t: t, ctx: ctx}
	t.Cleanup(p.saveArtifactsOnFailure) // runs before cancel (cleanups are LIFO)
	return p
}

// artifactDir is $E2E_ARTIFACTS or .cache/e2e-artifacts (ignored by git).
func artifactDir(t testing.TB) string {
	base := os.Getenv("E2E_ARTIFACTS")
	if base == "" {
		base = filepath.Join(repoRoot, ".cache", "e2e-artifacts")
	}
	return filepath.Join(base, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
}

func (p *person) saveArtifactsOnFailure() {
	if !p.t.Failed() {
		return
	}
	dir := artifactDir(p.t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("artifacts: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	var saved []string
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90)); err == nil {
		f := filepath.Join(dir, "screenshot.png")
		if os.WriteFile(f, png, 0o644) == nil {
			saved = append(saved, f)
		}
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML")); err == nil {
		f := filepath.Join(dir, "page.html")
		if os.WriteFile(f, []byte("<!-- "+loc+" -->\n"+html), 0o644) == nil {
			saved = append(saved, f)
		}
	}
	p.t.Logf("browser artifacts of the failed flow (page %s): %s", loc, strings.Join(saved, ", "))
}

// run runs chromedp actions within pageTimeout; an error fails the flow.
func (p *person) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v (page %s)", what, err, p.url())
	}
}

// open navigates the tab to u as a person typing it in the address bar.
func (p *person) open(u string) {
	p.t.Helper()
	p.run("open "+u, chromedp.Navigate(u))
}

func (p *person) url() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return u
}

// text is what the person reads on the page.
func (p *person) text() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// waitFor polls the page until cond holds for its URL and text, or fails
// the flow at the deadline with what the page showed.
func (p *person) waitFor(what string, cond func(url, text string) bool) {
	p.t.Helper()
	deadline := time.Now().Add(pageTimeout)
	var u, text string
	for {
		u, text = p.url(), p.text()
		if cond(u, text) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %s for %s; the page %s shows:\n%.800s", pageTimeout, what, u, text)
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("waiting for %s: %v", what, p.ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// cookies are the browser's cookies for u, as the person's browser holds them.
func (p *person) cookies(u string) []*network.Cookie {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, pageTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	if err != nil {
		p.t.Fatalf("reading the browser's cookies: %v", err)
	}
	return res.Cookies
}

func cookieSummary(cs []*network.Cookie) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%s(domain=%s secure=%v samesite=%s size=%d)", c.Name, c.Domain, c.Secure, c.SameSite, c.Size))
	}
	return strings.Join(s, " ")
}
