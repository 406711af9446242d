package trackertest

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's Chromium, which the project's scripts install.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium with a fresh profile and one tab. Its helpers fail
// the test on error. Run browser tests one at a time: the machine has two cores.
type Browser struct {
	t   testing.TB
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// BrowserOption configures NewBrowser.
type BrowserOption func(*browserConfig)

type browserConfig struct {
	hosts []string
}

// MapHost makes the browser resolve host to 127.0.0.1, so a Site can be visited under a
// real-looking name (see Site.At); every other name stays unresolved.
func MapHost(host string) BrowserOption {
	return func(c *browserConfig) { c.hosts = append(c.hosts, host) }
}

// NewBrowser starts Chromium for the test and stops it when the test ends. Without
// Chromium the test fails: `make test` installs it.
func NewBrowser(t testing.TB, opts ...BrowserOption) *Browser {
	t.Helper()
	var cfg browserConfig
	for _, o := range opts {
		o(&cfg)
	}
	// No name ever leaves the machine: the outbound link's host stays unresolved.
	var rules []string
	for _, h := range cfg.hosts {
		rules = append(rules, "MAP "+h+" 127.0.0.1")
	}
	rules = append(rules, "MAP * ~NOTFOUND", "EXCLUDE 127.0.0.1")
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Fatalf("trackertest: Chromium is not installed at %s: run make test, or scripts/ensure-test-tools", ChromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ", ")),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &Browser{t: t, ctx: ctx}
	// The first call starts the browser and opens the tab; it must not carry a timeout,
	// which would stop the browser (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("trackertest: start Chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	// Every Content-Security-Policy violation reaches the console, with the directive
	// and what it blocked, whatever Chromium's own wording of the report.
	b.BeforeLoad(`document.addEventListener('securitypolicyviolation', e => console.error('` + CSPViolation +
		` ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + (e.sourceFile || e.documentURI)))`)
	// Downloads (the PDF link) are counted by the tracker, not saved.
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorDeny,
	}); err != nil {
		t.Fatalf("trackertest: deny downloads: %v", err)
	}
	return b
}

// do runs actions with a timeout, failing the test on error.
func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("trackertest: %s: %v", what, err)
	}
}

// Navigate loads url and waits for its load event.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url))
}

// WaitPage waits until the page whose body has the id page-<name> is loaded, after a
// click or a submit that navigates.
func (b *Browser) WaitPage(name string) {
	b.t.Helper()
	b.do("wait for page "+name, chromedp.WaitReady(chromedp.CSS("body#page-"+name)))
}

// Click clicks the first element matching the CSS selector with the left button.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// MiddleClick clicks the first element matching the CSS selector with the middle
// button (an auxclick).
func (b *Browser) MiddleClick(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel), chromedp.NodeVisible))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.MouseClickNode(nodes[0], chromedp.ButtonMiddle))
	}
	if err != nil {
		b.t.Fatalf("trackertest: middle-click %s: %v", sel, err)
	}
}

// Fill types value into the field matching the CSS selector.
func (b *Browser) Fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// Submit submits the form that holds the element matching the CSS selector (or is
// it) as a user would, with requestSubmit, so the page sees a submit event;
// chromedp.Submit calls form.submit(), which fires none.
func (b *Browser) Submit(sel string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	b.Eval(`(el => (el.form || el.closest('form')).requestSubmit())(document.querySelector(` + string(q) + `))`)
}

// WaitLoaded waits until the current page has loaded, deferred scripts such as the
// tracker included.
func (b *Browser) WaitLoaded() {
	b.t.Helper()
	b.do("wait for the page to load", chromedp.Poll[chromedp.Void](`document.readyState === 'complete'`))
}

// Eval runs JavaScript in the page and ignores its result.
func (b *Browser) Eval(js string) {
	b.t.Helper()
	b.do("eval "+js, chromedp.Evaluate[chromedp.Void](js))
}

// EvalString runs JavaScript in the page and returns its string result.
func (b *Browser) EvalString(js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("trackertest: eval %s: %v", js, err)
	}
	return s
}

// LocalStorage returns the page's localStorage.
func (b *Browser) LocalStorage() map[string]string {
	b.t.Helper()
	return b.storage("localStorage")
}

// SessionStorage returns the page's sessionStorage.
func (b *Browser) SessionStorage() map[string]string {
	b.t.Helper()
	return b.storage("sessionStorage")
}

func (b *Browser) storage(name string) map[string]string {
	b.t.Helper()
	m := map[string]string{}
	if err := json.Unmarshal([]byte(b.EvalString("JSON.stringify(Object.assign({}, "+name+"))")), &m); err != nil {
		b.t.Fatalf("trackertest: read %s: %v", name, err)
	}
	return m
}

// Cookies returns the cookies the browser would send to the current page.
func (b *Browser) Cookies() []*network.Cookie {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		b.t.Fatalf("trackertest: read cookies: %v", err)
	}
	return res.Cookies
}

// Cookie returns the named cookie of the current page, or nil.
func (b *Browser) Cookie(name string) *network.Cookie {
	b.t.Helper()
	for _, c := range b.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// BeforeLoad runs js in every page the tab loads from now on, before the page's own
// scripts.
func (b *Browser) BeforeLoad(js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		b.t.Fatalf("trackertest: add script: %v", err)
	}
}

// DoNotTrack makes the pages loaded from now on see navigator.doNotTrack == "1".
func (b *Browser) DoNotTrack() {
	b.t.Helper()
	b.BeforeLoad(`Object.defineProperty(navigator, 'doNotTrack', {get: () => '1'})`)
}

// GlobalPrivacyControl makes the pages loaded from now on see
// navigator.globalPrivacyControl == true.
func (b *Browser) GlobalPrivacyControl() {
	b.t.Helper()
	b.BeforeLoad(`Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})`)
}
