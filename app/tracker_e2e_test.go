package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/tracking"
	"github.com/srgplatform/srg/modules/tracking/trackertest"
)

// searchTouchpoints returns every touchpoint of the demo tenant, oldest first.
func searchTouchpoints(t *testing.T, esURL, index string) []map[string]any {
	t.Helper()
	countIDs(t, esURL, index, nil) // refreshes
	body := `{"size":1000,"sort":[{"occurred_at":"asc"},{"event_id":"asc"}]}`
	resp, err := httpPostJSON(esURL+"/"+index+"/_search", body)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Hits struct {
			Hits []struct {
				Source map[string]any `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(r.Hits.Hits))
	for i, h := range r.Hits.Hits {
		out[i] = h.Source
	}
	return out
}

func httpPostJSON(url, body string) ([]byte, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func ofTypeDocs(docs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, d := range docs {
		if d["type"] == typ {
			out = append(out, d)
		}
	}
	return out
}

// TestTrackerEndToEnd runs the real tracker in headless Chromium on a test website,
// against a real srg, and checks what lands in Elasticsearch.
func TestTrackerEndToEnd(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	p, _ := startTracking(t, cfg)
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()
	index := cfg.Elasticsearch.IndexPrefix + "-demo-touchpoints"
	esURL := cfg.Elasticsearch.URL

	site := trackertest.NewSite(t, srv.URL, "demo-site")
	b := trackertest.NewBrowser(t)

	wait := func(what string, done func([]map[string]any) bool) []map[string]any {
		t.Helper()
		var docs []map[string]any
		waitFor(t, what, func() bool {
			if err := p.Tracking.Drain(ctx); err != nil {
				return false
			}
			docs = searchTouchpoints(t, esURL, index)
			return done(docs)
		})
		return docs
	}

	landing := site.URL + "/?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=abc123"
	b.Navigate(landing)
	docs := wait("the landing page view", func(d []map[string]any) bool { return len(ofTypeDocs(d, "pageview")) == 1 })
	pv := docs[0]
	for k, v := range map[string]any{"channel": "Paid Search", "utm_campaign": "brand", "click_id_type": "gclid", "click_id": "abc123",
		"session_start": true, "landing_page": landing, "path": "/", "site_key": "demo-site",
		"is_bot": true /* headless Chromium says so in its user agent */} {
		if pv[k] != v {
			t.Errorf("landing page view %s = %v, want %v", k, pv[k], v)
		}
	}
	visitor, session := pv["visitor_id"], pv["session_id"]

	b.Click("#push") // single-page-app navigation
	docs = wait("the SPA page view", func(d []map[string]any) bool { return len(ofTypeDocs(d, "pageview")) == 2 })
	spa := ofTypeDocs(docs, "pageview")[1]
	if !strings.HasSuffix(spa["url"].(string), "/app/step2") || spa["visitor_id"] != visitor || spa["session_id"] != session || spa["session_start"] == true {
		t.Errorf("SPA page view in the same visit expected, got %v", spa)
	}

	b.Click("#guide")
	wait("the PDF download", func(d []map[string]any) bool { return len(ofTypeDocs(d, "download")) == 1 })

	b.Fill("#email", "ann@acme.example")
	b.Fill("#company", "Acme")
	b.Click("#submit")
	b.WaitPage("thanks")
	docs = wait("the form submission", func(d []map[string]any) bool { return len(ofTypeDocs(d, "form")) == 1 })
	form := ofTypeDocs(docs, "form")[0]
	if form["person_id"] == nil || form["account_id"] == nil || form["visitor_id"] != visitor || form["form_id"] != "demo" {
		t.Errorf("form touchpoint should carry the new person and account: %v", form)
	}

	b.Navigate(site.URL + "/")
	b.WaitPage("home")
	b.Click("#outbound")
	docs = wait("the outbound click", func(d []map[string]any) bool { return len(ofTypeDocs(d, "outbound")) == 1 })
	if out := ofTypeDocs(docs, "outbound")[0]; out["link_url"] != "https://outbound.example/x" {
		t.Errorf("outbound link %v", out["link_url"])
	}

	// The visitor became a person: the backfill stamps their earlier touchpoints.
	if err := p.Scheduler.RunNow(ctx, "identity.backfill"); err != nil {
		t.Fatal(err)
	}
	docs = searchTouchpoints(t, esURL, index)
	for _, d := range docs {
		if d["visitor_id"] == visitor && d["person_id"] != form["person_id"] {
			t.Errorf("%s touchpoint %s not linked to the person: %v", d["type"], d["event_id"], d["person_id"])
		}
	}
	for _, d := range docs {
		raw, _ := json.Marshal(d)
		if strings.Contains(string(raw), "ann@acme.example") {
			t.Errorf("the index holds the email address: %s", raw)
		}
	}
	if n, _ := p.Search.Count(ctx, "demo", search.Touchpoints, map[string]string{"type": "pageview"}); n < 4 {
		t.Errorf("%d page views, want landing, SPA, thanks and home", n)
	}
	if !strings.Contains(pv["browser"].(string), "Chrome") {
		t.Errorf("browser %v", pv["browser"])
	}
}

// TestTrackerPrivacyEndToEnd checks against the real srg that consent-required and
// Do-Not-Track sites get no cookie and no event.
func TestTrackerPrivacyEndToEnd(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	p, _ := startTracking(t, cfg)
	var collects atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/t/collect" {
			collects.Add(1)
		}
		p.Echo.ServeHTTP(w, r)
	}))
	defer srv.Close()
	site := trackertest.NewSite(t, srv.URL, "demo-site")

	for _, tc := range []struct {
		name     string
		settings tracking.Settings
		dnt      bool
	}{
		{"consent required, not given", tracking.Settings{ConsentRequired: true, HonorDNT: true}, false},
		{"do not track honoured", tracking.Settings{HonorDNT: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := p.Tracking.SetSiteSettings(ctx, "demo-site", tc.settings); err != nil {
				t.Fatal(err)
			}
			before := collects.Load()
			b := trackertest.NewBrowser(t)
			if tc.dnt {
				b.DoNotTrack()
			}
			b.Navigate(site.URL + "/?utm_source=google&utm_medium=cpc")
			b.WaitLoaded()
			b.Click("#pricing")
			b.WaitPage("pricing")
			b.Eval(`sona('track', 'should-not-send')`)
			if c := b.Cookie("sona_vid"); c != nil && tc.settings.ConsentRequired {
				t.Errorf("cookie set without consent: %+v", c)
			}
			// Leaving the page is when the tracker flushes whatever it holds; give it
			// the time it would take to send.
			b.Navigate(site.URL + "/thanks")
			b.WaitLoaded()
			time.Sleep(1500 * time.Millisecond)
			if got := collects.Load() - before; got != 0 {
				t.Errorf("the tracker sent %d collect requests, want none", got)
			}
		})
	}
}
