package trackertest

import (
	"context"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// CSPViolation starts the console error that every page the browser loads writes for
// each Content-Security-Policy violation.
const CSPViolation = "csp-violation:"

// Console returns what the pages wrote to the console so far: console API calls,
// uncaught exceptions and the browser's own log (failed loads, security messages).
func (b *Browser) Console() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.console...)
}

// Problems returns the console messages that mean a page is broken: uncaught
// exceptions and Content-Security-Policy violations (reported by the page or by the
// browser's log).
func (b *Browser) Problems() []chromedp.ConsoleMessage {
	var out []chromedp.ConsoleMessage
	for _, m := range b.Console() {
		if m.IsException() || strings.HasPrefix(m.Text, CSPViolation) || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m)
		}
	}
	return out
}

// WaitFor waits until an element matching the CSS selector is in the page, after a
// click or a submit that navigates.
func (b *Browser) WaitFor(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitReady(chromedp.CSS(sel)))
}

// NavigateStatus loads url and returns the HTTP status of the page it ends on.
func (b *Browser) NavigateStatus(url string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err != nil {
		b.t.Fatalf("trackertest: navigate to %s: %v", url, err)
	}
	return resp.Status
}

// Location returns the URL of the current page.
func (b *Browser) Location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("trackertest: read the location: %v", err)
	}
	return loc
}

// Screenshot returns a PNG of the viewport.
func (b *Browser) Screenshot() []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("trackertest: screenshot: %v", err)
	}
	return png
}
