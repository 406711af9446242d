// Package trackertest runs the tracker sona.js in headless Chromium against a small
// test website, so its behaviour can be checked end to end. FakeCollector stands in for
// srg's tracking endpoints (docs/tracking-protocol.md); Site is the website that embeds
// the tracker; Browser drives Chromium.
package trackertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/tracking"
)

// Settings are a site's tracker settings, as GET /t/config/{key} answers them.
type Settings struct {
	ConsentRequired    bool     `json:"consent_required"`
	HonorDNT           bool     `json:"honor_dnt"`
	DownloadExtensions []string `json:"download_extensions"`
	FormFields         []string `json:"form_fields"`
}

// DefaultSettings are the settings of the protocol document's example.
func DefaultSettings() Settings {
	return Settings{
		HonorDNT:           true,
		DownloadExtensions: []string{"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "zip"},
		FormFields:         []string{"company", "job_title"},
	}
}

// Batch is the body of POST /t/collect.
type Batch struct {
	V      int     `json:"v"`
	Site   string  `json:"site"`
	Events []Event `json:"events"`
}

// Event is one tracker event, as srg decodes it.
type Event = tracking.Event

// Form identifies a submitted form.
type Form = tracking.FormInfo

// Request is one POST /t/collect the collector received.
type Request struct {
	Status      int    // the answer: 204; 400, 404 or 413 (Err says why); or an injected 503
	ContentType string // as sent
	Origin      string
	Body        []byte // raw, to check what must never be sent
	Batch       Batch
	Err         string // why the body broke the protocol
}

// FakeCollector is an httptest server with srg's tracker endpoints: GET /sona.js (the
// built tracker, read from static/sona.js on each request), GET /t/config/{key} and
// POST /t/collect. It validates every batch against the protocol and records it.
type FakeCollector struct {
	// URL is the collector's base URL, the HOST of the tracker tag.
	URL string

	tracker string // path of the built tracker

	mu       sync.Mutex
	sites    map[string]Settings
	failNext int  // answer 503 to this many more collect requests
	failing  bool // answer 503 to every collect request
	requests []Request
	configs  int // config requests served
}

// NewFakeCollector starts a collector on 127.0.0.1 that knows no site yet; it stops when
// the test ends.
func NewFakeCollector(t testing.TB) *FakeCollector {
	t.Helper()
	c := &FakeCollector{tracker: trackerPath(), sites: map[string]Settings{}}
	if _, err := os.Stat(c.tracker); err != nil {
		t.Fatalf("trackertest: the built tracker is missing (run `npm run build` in static/): %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sona.js", c.serveTracker)
	mux.HandleFunc("GET /t/config/{key}", c.serveConfig)
	mux.HandleFunc("POST /t/collect", c.collect)
	mux.HandleFunc("OPTIONS /t/", func(w http.ResponseWriter, r *http.Request) {
		cors(w)
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// trackerPath finds static/sona.js from this source file, so the package works from
// any test's working directory.
func trackerPath() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		return filepath.Join(filepath.Dir(file), "..", "..", "..", "static", "sona.js")
	}
	return filepath.Join("..", "..", "..", "static", "sona.js")
}

// SetSite makes key a known site with these settings.
func (c *FakeCollector) SetSite(key string, s Settings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sites[key] = s
}

// FailNext answers 503 to the next n collect requests.
func (c *FakeCollector) FailNext(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failNext = n
}

// SetFailing answers 503 to every collect request while on.
func (c *FakeCollector) SetFailing(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failing = on
}

// Requests returns every collect request so far.
func (c *FakeCollector) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.requests...)
}

// ConfigRequests counts the config requests served so far.
func (c *FakeCollector) ConfigRequests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.configs
}

// Delivered returns the events of the requests answered 204, in order of arrival.
func (c *FakeCollector) Delivered() []Event {
	var out []Event
	for _, r := range c.Requests() {
		if r.Status == http.StatusNoContent {
			out = append(out, r.Batch.Events...)
		}
	}
	return out
}

// WaitDelivered polls until done holds for the delivered events and returns them; it
// fails the test after a generous deadline, or at once when a batch broke the protocol.
func (c *FakeCollector) WaitDelivered(t testing.TB, what string, done func([]Event) bool) []Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.FailOnInvalid(t)
		evs := c.Delivered()
		if done(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("trackertest: timed out waiting for %s; delivered:\n%s", what, Describe(evs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitRequests polls until at least n collect requests have arrived.
func (c *FakeCollector) WaitRequests(t testing.TB, n int) []Request {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if rs := c.Requests(); len(rs) >= n {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("trackertest: timed out waiting for %d collect requests, got %d", n, len(c.Requests()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitConfigRequests polls until at least n config requests have been served.
func (c *FakeCollector) WaitConfigRequests(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.ConfigRequests() < n {
		if time.Now().After(deadline) {
			t.Fatalf("trackertest: timed out waiting for %d config requests, got %d", n, c.ConfigRequests())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FailOnInvalid fails the test if any collect request broke the protocol.
func (c *FakeCollector) FailOnInvalid(t testing.TB) {
	t.Helper()
	for _, r := range c.Requests() {
		if r.Err != "" {
			t.Fatalf("trackertest: the tracker sent an invalid batch: %s\n%s", r.Err, r.Body)
		}
	}
}

// Describe lists events one a line, for failure messages.
func Describe(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s id=%s sid=%s ss=%v spa=%v url=%s link=%s name=%s\n",
			e.Type, e.ID, e.SID, e.SS, e.SPA, e.URL, e.Link, e.Name)
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
}

func (c *FakeCollector) serveTracker(w http.ResponseWriter, r *http.Request) {
	js, err := os.ReadFile(c.tracker)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(js)
}

func (c *FakeCollector) serveConfig(w http.ResponseWriter, r *http.Request) {
	cors(w)
	c.mu.Lock()
	c.configs++
	s, ok := c.sites[r.PathValue("key")]
	c.mu.Unlock()
	if !ok {
		http.Error(w, `{"error":"unknown site"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

const maxBody = 64 << 10

func (c *FakeCollector) collect(w http.ResponseWriter, r *http.Request) {
	cors(w)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	req := Request{ContentType: r.Header.Get("Content-Type"), Origin: r.Header.Get("Origin"), Body: body}
	switch {
	case err != nil:
		req.Status, req.Err = http.StatusBadRequest, err.Error()
	case len(body) > maxBody:
		req.Status, req.Err = http.StatusRequestEntityTooLarge, "body over 64 KB"
	default:
		req.Batch, req.Err = decodeBatch(body)
		req.Status = http.StatusNoContent
		if req.Err != "" {
			req.Status = http.StatusBadRequest
		}
	}

	c.mu.Lock()
	if req.Status == http.StatusNoContent {
		if _, ok := c.sites[req.Batch.Site]; !ok {
			req.Status, req.Err = http.StatusNotFound, "unknown site "+req.Batch.Site
		} else if c.failing || c.failNext > 0 {
			if c.failNext > 0 {
				c.failNext--
			}
			req.Status = http.StatusServiceUnavailable
		}
	}
	c.requests = append(c.requests, req)
	c.mu.Unlock()

	if req.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if req.Err != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(req.Status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": req.Err})
		return
	}
	w.WriteHeader(req.Status)
}

// decodeBatch checks a body with srg's own decoder (the server's schema), then what the
// tracker is expected to send beyond it; the string is the first problem found.
func decodeBatch(body []byte) (Batch, string) {
	site, events, err := tracking.DecodeBatch(body)
	b := Batch{V: 1, Site: site, Events: events}
	if err != nil {
		return b, fmt.Sprintf("%s: %v", errs.FieldOf(err), err)
	}
	for i, e := range events {
		if msg := checkEvent(e); msg != "" {
			return b, fmt.Sprintf("events[%d]: %s", i, msg)
		}
	}
	return b, ""
}

// checkEvent holds the tracker to more than the server demands: every event names its
// page, and page views carry the screen, language and time zone.
func checkEvent(e Event) string {
	switch {
	case e.URL == "":
		return "no url"
	case e.Type == "pageview" && (e.SW <= 0 || e.SH <= 0 || e.Lang == "" || e.TZ == ""):
		return "pageview without screen, lang or tz"
	case e.Type == "form" && e.Form == nil:
		return "form without form"
	}
	return ""
}
