package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/search"
)

var demoTenant = []config.Tenant{{
	Slug: "demo", Name: "Demo",
	Sites: []config.Site{{Key: "demo-site", Domains: []string{"localhost", "127.0.0.1"}}},
}}

// collector sends tracker-shaped batches to a running srg.
type collector struct {
	base string
	n    atomic.Int64
}

func (c *collector) id() string { return fmt.Sprintf("evt-%016d", c.n.Add(1)) }

func (c *collector) send(t testing.TB, events ...map[string]any) (int, error) {
	for _, e := range events {
		if e["id"] == nil {
			e["id"] = c.id()
		}
		if e["ts"] == nil {
			e["ts"] = time.Now().UnixMilli()
		}
		if e["sid"] == nil {
			e["sid"] = "sess-" + e["vid"].(string)
		}
	}
	body, _ := json.Marshal(map[string]any{"v": 1, "site": "demo-site", "events": events})
	req, _ := http.NewRequest(http.MethodPost, c.base+"/t/collect", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", "http://localhost:3000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func pageview(vid, url string) map[string]any {
	return map[string]any{"type": "pageview", "vid": vid, "url": url}
}

func touchpoint(t *testing.T, p *app.Platform, id string) map[string]any {
	t.Helper()
	raw, err := p.Search.Get(context.Background(), "demo", search.Touchpoints, id)
	if err != nil || raw == nil {
		t.Fatalf("touchpoint %s: %v (found: %v)", id, err, raw != nil)
	}
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	return doc
}

func startTracking(t *testing.T, cfg config.Config) (*app.Platform, *collector) {
	t.Helper()
	cfg.Tenants = demoTenant
	cfg.Tracking.RateLimitPerIP, cfg.Tracking.RateLimitPerSite = 0, 0
	p := build(t, cfg)
	srv := httptest.NewServer(p.Echo)
	t.Cleanup(srv.Close)
	waitFor(t, "tenant indices", func() bool {
		_, err := p.Search.Count(context.Background(), "demo", search.Touchpoints, nil)
		return err == nil
	})
	return p, &collector{base: srv.URL}
}

func TestIdentityStitchesEarlierTouchpointsAcrossDevices(t *testing.T) {
	ctx := context.Background()
	p, c := startTracking(t, apptest.Config(t))

	laptop, phone := "laptop-visitor", "phone-visitor"
	early := pageview(laptop, "http://localhost/?utm_source=linkedin&utm_medium=paid-social")
	onPhone := pageview(phone, "http://localhost/pricing")
	for _, ev := range []map[string]any{early, onPhone} {
		if code, err := c.send(t, ev); err != nil || code != 204 {
			t.Fatalf("collect: %d %v", code, err)
		}
	}
	if err := p.Tracking.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	form := map[string]any{"type": "form", "vid": laptop, "url": "http://localhost/demo", "email": "ann@acme.example", "form": map[string]any{"id": "demo"}}
	ident := map[string]any{"type": "identify", "vid": phone, "email": "ANN@acme.example", "props": map[string]any{"plan": "pro"}}
	gmail := map[string]any{"type": "identify", "vid": "bob-visitor", "email": "bob@gmail.com"}
	if code, err := c.send(t, form, ident, gmail); err != nil || code != 204 {
		t.Fatalf("collect: %d %v", code, err)
	}
	later := pageview(laptop, "http://localhost/thanks")
	if code, _ := c.send(t, later); code != 204 {
		t.Fatalf("collect later: %d", code)
	}
	if err := p.Tracking.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Search.Refresh(ctx, "demo", search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	if err := p.Scheduler.RunNow(ctx, "identity.backfill"); err != nil {
		t.Fatal(err)
	}
	if err := p.Search.Refresh(ctx, "demo", search.Touchpoints); err != nil {
		t.Fatal(err)
	}

	formDoc := touchpoint(t, p, form["id"].(string))
	person, account := formDoc["person_id"], formDoc["account_id"]
	if person == nil || account == nil {
		t.Fatalf("form touchpoint not linked: %v", formDoc)
	}
	for name, ev := range map[string]map[string]any{"earlier laptop visit": early, "earlier phone visit": onPhone, "later laptop visit": later, "phone identify": ident} {
		doc := touchpoint(t, p, ev["id"].(string))
		if doc["person_id"] != person || doc["account_id"] != account {
			t.Errorf("%s: person %v account %v, want %v %v", name, doc["person_id"], doc["account_id"], person, account)
		}
	}
	var people, visitors int64
	apptest.System(p.DB).Raw(`SELECT count(*) FROM people WHERE lower(email) = 'ann@acme.example'`).Scan(&people)
	apptest.System(p.DB).Raw(`SELECT count(*) FROM visitor_links v JOIN people p ON p.id = v.person_id WHERE lower(p.email) = 'ann@acme.example'`).Scan(&visitors)
	if people != 1 || visitors != 2 {
		t.Errorf("ann is %d people with %d visitor ids, want 1 person with 2", people, visitors)
	}
	var domain string
	apptest.System(p.DB).Raw(`SELECT a.domain FROM people p JOIN accounts a ON a.id = p.account_id WHERE lower(p.email) = 'ann@acme.example'`).Scan(&domain)
	if domain != "acme.example" {
		t.Errorf("ann's account domain %q", domain)
	}
	bob := touchpoint(t, p, gmail["id"].(string))
	if bob["person_id"] == nil || bob["account_id"] != nil {
		t.Errorf("a gmail.com person must have no account: %v", bob)
	}
	var traits string
	apptest.System(p.DB).Raw(`SELECT traits->>'plan' FROM people WHERE lower(email) = 'ann@acme.example'`).Scan(&traits)
	if traits != "pro" {
		t.Errorf("identify traits not stored: %q", traits)
	}
}

// load sends single-event batches from several goroutines until stop is closed and
// returns the ids of the events srg acknowledged with 204.
func load(t *testing.T, c *collector, workers int, stop <-chan struct{}) func() []string {
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := c.id()
				code, err := c.send(t, map[string]any{"id": id, "type": "pageview", "vid": fmt.Sprintf("load-visitor-%d", w), "url": "http://localhost/p"})
				if err == nil && code == 204 {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}(w)
	}
	return func() []string {
		wg.Wait()
		return acked
	}
}

func countIDs(t *testing.T, esURL, index string, ids []string) int64 {
	t.Helper()
	if resp, err := http.Post(esURL+"/"+index+"/_refresh", "application/json", nil); err == nil {
		resp.Body.Close()
	}
	var found int64
	for start := 0; start < len(ids); start += 1000 {
		end := min(start+1000, len(ids))
		body, _ := json.Marshal(map[string]any{"query": map[string]any{"ids": map[string]any{"values": ids[start:end]}}})
		resp, err := http.Post(esURL+"/"+index+"/_count", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ Count int64 }
		json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		found += r.Count
	}
	return found
}

func totalDocs(t *testing.T, esURL, index string) int64 {
	t.Helper()
	if resp, err := http.Post(esURL+"/"+index+"/_refresh", "application/json", nil); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(esURL + "/" + index + "/_count")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Count int64 }
	json.NewDecoder(resp.Body).Decode(&r)
	return r.Count
}

func TestElasticsearchOutageLosesNoAcknowledgedEvent(t *testing.T) {
	cfg := apptest.Config(t)
	esURL := cfg.Elasticsearch.URL
	proxy := apptest.NewProxy(t, esURL)
	cfg.Elasticsearch.URL = proxy.URL()
	cfg.Tracking.BulkSize = 200
	p, c := startTracking(t, cfg)
	index := cfg.Elasticsearch.IndexPrefix + "-demo-touchpoints"

	stop := make(chan struct{})
	wait := load(t, c, 4, stop)
	time.Sleep(400 * time.Millisecond)
	proxy.Cut() // Elasticsearch goes away in the middle of the load
	time.Sleep(1500 * time.Millisecond)
	if p.Tracking.Pending() == 0 {
		t.Error("nothing waits in the spool while Elasticsearch is down")
	}
	proxy.Restore()
	time.Sleep(400 * time.Millisecond)
	close(stop)
	acked := wait()
	if len(acked) < 50 {
		t.Fatalf("only %d events acknowledged", len(acked))
	}
	waitFor(t, "every acknowledged event indexed", func() bool {
		return countIDs(t, esURL, index, acked) == int64(len(acked))
	})
	if total := totalDocs(t, esURL, index); total != int64(len(acked)) {
		t.Fatalf("%d documents for %d acknowledged events: duplicates or unacknowledged extras", total, len(acked))
	}
}
