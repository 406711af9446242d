package tracking_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/tracking"
	"github.com/srgplatform/srg/modules/tracking/channel"
	"github.com/srgplatform/srg/modules/tracking/enrich/geoiptest"
)

// fakeSites serves sites from memory; the tenants module's real lookup is exercised by
// the app-level tests.
type fakeSites map[string]tracking.SiteRecord

func (f fakeSites) SiteByKey(_ context.Context, key string) (tracking.SiteRecord, error) {
	s, ok := f[key]
	if !ok {
		return tracking.SiteRecord{}, errs.NotFound("unknown site %q", key)
	}
	return s, nil
}

// fakeIdentities links visitors in memory.
type fakeIdentities struct {
	mu    sync.Mutex
	links map[string]tracking.Identity
}

func (f *fakeIdentities) Identify(_ context.Context, _ int64, _, visitor, email string, _ map[string]any, _ time.Time) (tracking.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := strings.IndexByte(email, '@')
	id := tracking.Identity{PersonID: "p-" + strings.ToLower(email[:at]), AccountID: "a-" + strings.ToLower(email[at+1:])}
	f.links[visitor] = id
	return id, nil
}

func (f *fakeIdentities) Lookup(_ context.Context, _ int64, visitors []string) (map[string]tracking.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]tracking.Identity{}
	for _, v := range visitors {
		if id, ok := f.links[v]; ok {
			out[v] = id
		}
	}
	return out, nil
}

type env struct {
	srv      *httptest.Server
	mod      *tracking.Module
	search   *search.Client
	db       *gorm.DB
	tenant   string
	tenantID int64
}

func newEnv(t testing.TB, tweak func(*config.Tracking)) *env {
	t.Helper()
	cfg := apptest.Config(t)
	gdb := apptest.DB(t, cfg)
	sc := apptest.Search(t, cfg)
	tenantID, siteID := acmeSite(t, gdb, "acme.example", "*.acme.example")
	if err := sc.EnsureTenant(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	tc := cfg.Tracking
	tc.RateLimitPerIP, tc.RateLimitPerSite = 0, 0
	if tweak != nil {
		tweak(&tc)
	}
	mod, err := tracking.New(tracking.Deps{
		Config:     tc,
		DB:         gdb,
		Sites:      fakeSites{"acme-site": {ID: siteID, TenantID: tenantID, Tenant: "acme", Key: "acme-site", Domains: []string{"acme.example", "*.acme.example"}}},
		Indexer:    sc,
		Identities: &fakeIdentities{links: map[string]tracking.Identity{}},
		Log:        apptest.Logger(t),
		Script:     []byte("/*tracker*/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mod.Close() })
	e := web.NewEcho(apptest.Logger(t), nil, nil)
	e.Pre(mod.Shortcut)
	web.NewRouter(e, nil, apptest.TenantsIn(gdb)).Mount(mod.Routes()...)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{srv: srv, mod: mod, search: sc, db: gdb, tenant: "acme", tenantID: tenantID}
}

// acmeSite creates the tenant acme and its site acme-site on these domains, and
// returns their ids.
func acmeSite(t testing.TB, gdb *gorm.DB, domains ...string) (tenantID, siteID int64) {
	t.Helper()
	if err := gdb.Raw(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') RETURNING id`).Scan(&tenantID).Error; err != nil {
		t.Fatal(err)
	}
	err := gdb.WithContext(db.WithTenant(context.Background(), tenantID)).
		Raw(`INSERT INTO sites (tenant_id, site_key, domains) VALUES (?, 'acme-site', ?) RETURNING id`, tenantID, db.StringArray(domains)).Scan(&siteID).Error
	if err != nil {
		t.Fatal(err)
	}
	return tenantID, siteID
}

var seq int

func event(typ string, extra string) string {
	seq++
	return fmt.Sprintf(`{"id":"evt%017d","type":%q,"ts":%d,"vid":"visitor-1","sid":"session-1","url":"https://acme.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=q4"%s}`,
		seq, typ, time.Now().UnixMilli(), extra)
}

func batch(events ...string) string {
	return `{"v":1,"site":"acme-site","events":[` + strings.Join(events, ",") + `]}`
}

func (e *env) post(t *testing.T, body string, headers map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/t/collect", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	req.Header.Set("Origin", "https://www.acme.example")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestCollectRejections(t *testing.T) {
	e := newEnv(t, nil)
	many := make([]string, tracking.MaxEvents+1)
	for i := range many {
		many[i] = event("pageview", "")
	}
	tests := []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		want    string
	}{
		{"accepted", batch(event("pageview", "")), nil, 204, ""},
		{"accepted as application/json", batch(event("pageview", "")), map[string]string{"Content-Type": "application/json"}, 204, ""},
		{"accepted by referer when no origin", batch(event("pageview", "")), map[string]string{"Origin": "", "Referer": "https://acme.example/x"}, 204, ""},
		{"foreign origin", batch(event("pageview", "")), map[string]string{"Origin": "https://evil.example"}, 403, "origin not allowed"},
		{"look-alike origin", batch(event("pageview", "")), map[string]string{"Origin": "https://acme.example.evil.example"}, 403, "origin not allowed"},
		{"no origin nor referer", batch(event("pageview", "")), map[string]string{"Origin": ""}, 403, "origin not allowed"},
		{"unknown site", strings.Replace(batch(event("pageview", "")), "acme-site", "nope-site", 1), nil, 404, "unknown site"},
		{"body over 64 KB", batch(event("track", `,"name":"x","props":{"p":"`+strings.Repeat("a", 70000)+`"}`)), nil, 413, "64 KB"},
		{"too many events", batch(many...), nil, 400, `"field":"events"`},
		{"no events", `{"v":1,"site":"acme-site","events":[]}`, nil, 400, `"field":"events"`},
		{"malformed JSON", `{"v":1,"site":`, nil, 400, "malformed JSON"},
		{"trailing garbage", batch(event("pageview", "")) + "{}", nil, 400, "malformed JSON"},
		{"wrong version", strings.Replace(batch(event("pageview", "")), `"v":1`, `"v":2`, 1), nil, 400, `"field":"v"`},
		{"unknown event type", batch(event("pageview", ""), event("hover", "")), nil, 400, `"field":"events[1].type"`},
		{"unknown field", batch(event("pageview", `,"colour":"red"`)), nil, 400, `"field":"events[0].colour"`},
		{"wrong field type", batch(event("pageview", `,"sw":"wide"`)), nil, 400, `"field":"events[0].sw"`},
		{"bad id", strings.Replace(batch(event("pageview", "")), `"id":"evt`, `"id":"e v`, 1), nil, 400, `"field":"events[0].id"`},
		{"relative url", batch(strings.Replace(event("pageview", ""), "https://acme.example/pricing", "/pricing", 1)), nil, 400, `"field":"events[0].url"`},
		{"identify without email", batch(event("identify", "")), nil, 400, `"field":"events[0].email"`},
		{"bad email", batch(event("form", `,"email":"not-an-email"`)), nil, 400, `"field":"events[0].email"`},
		{"track without name", batch(event("track", "")), nil, 400, `"field":"events[0].name"`},
		{"download without link", batch(event("download", "")), nil, 400, `"field":"events[0].link"`},
		{"nested props", batch(event("track", `,"name":"x","props":{"a":{"b":1}}`)), nil, 400, `"field":"events[0].props.a"`},
		{"wrong content type", batch(event("pageview", "")), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.mod.Pending()
			status, body, _ := e.post(t, tt.body, tt.headers)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("got %d %s, want %d containing %s", status, body, tt.status, tt.want)
			}
			if status != 204 && e.mod.Pending() != before {
				t.Fatal("a rejected request added events to the spool")
			}
			if status >= 400 && status != 413 && !json.Valid([]byte(body)) {
				t.Fatalf("error body is not JSON: %s", body)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(c *config.Tracking) { c.RateLimitPerIP = 1 })
	codes := map[int]int{}
	for i := 0; i < 5; i++ {
		status, _, h := e.post(t, batch(event("pageview", "")), nil)
		codes[status]++
		if status == 429 && h.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[204] == 0 || codes[429] == 0 {
		t.Fatalf("per-IP limit of 1/s: got %v, want some 204 then 429", codes)
	}

	e = newEnv(t, func(c *config.Tracking) { c.RateLimitPerSite = 1 })
	codes = map[int]int{}
	for i := 0; i < 5; i++ {
		status, _, _ := e.post(t, batch(event("pageview", "")), map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i)})
		codes[status]++
	}
	if codes[204] == 0 || codes[429] == 0 {
		t.Fatalf("per-site limit of 1/s: got %v", codes)
	}
}

func TestCountryFromGeoIP(t *testing.T) {
	db := geoiptest.WriteCountryDB(t, map[string]string{"203.0.113.0/24": "DE"})
	e := newEnv(t, func(c *config.Tracking) {
		c.GeoIPDB = db
		c.TrustedProxies = []string{"127.0.0.1"}
	})
	ctx := context.Background()
	pv := event("pageview", "")
	if status, b, _ := e.post(t, batch(pv), map[string]string{"X-Forwarded-For": "203.0.113.77"}); status != 204 {
		t.Fatalf("collect: %d %s", status, b)
	}
	if err := e.mod.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := e.search.Get(ctx, e.tenant, search.Touchpoints, pv[7:27])
	if err != nil || raw == nil {
		t.Fatalf("touchpoint not indexed: %v", err)
	}
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	if doc["country"] != "DE" || doc["ip"] != "203.0.113.0" {
		t.Fatalf("country %v ip %v, want DE and the anonymised address", doc["country"], doc["ip"])
	}
}

func TestTenantChannelRulesOverrideTheDefault(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tenantID := e.tenantID
	rules := append(channel.Rules{{Name: "g2-reviews", Channel: channel.Referral, When: channel.Condition{Sources: []string{"g2"}}}}, channel.Default()...)
	if err := e.mod.SetChannelRules(ctx, tenantID, rules); err != nil {
		t.Fatal(err)
	}
	if err := e.mod.SetChannelRules(ctx, tenantID, channel.Rules{{Name: "", Channel: "Nowhere"}}); errs.KindOf(err) != errs.KindInvalid {
		t.Fatalf("invalid rules: got %v, want an invalid-input error", err)
	}
	g2 := event("pageview", "")
	g2 = strings.Replace(g2, "utm_source=google&utm_medium=cpc", "utm_source=g2&utm_medium=cpc", 1)
	google := event("pageview", "")
	if status, b, _ := e.post(t, batch(g2, google), nil); status != 204 {
		t.Fatalf("collect: %d %s", status, b)
	}
	if err := e.mod.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][2]string{g2[7:27]: {"Referral", "g2-reviews"}, google[7:27]: {"Paid Search", ""}} {
		raw, _ := e.search.Get(ctx, e.tenant, search.Touchpoints, id)
		var doc map[string]any
		json.Unmarshal(raw, &doc)
		if doc["channel"] != want[0] || (want[1] != "" && doc["channel_rule"] != want[1]) {
			t.Errorf("%s: channel %v rule %v, want %v", id, doc["channel"], doc["channel_rule"], want)
		}
	}
}

// A context scoped to another tenant, as its requests are, cannot write acme's
// settings, whatever site key or tenant id it passes.
func TestSettingsWritesStayInTheirTenant(t *testing.T) {
	e := newEnv(t, nil)
	other := db.WithTenant(context.Background(), e.tenantID+1)
	writes := []struct {
		name, table string
		write       func() error
	}{
		{"site settings", "tracking_site_settings", func() error {
			return e.mod.SetSiteSettings(other, "acme-site", tracking.Settings{ConsentRequired: true})
		}},
		{"channel rules", "channel_rules", func() error {
			return e.mod.SetChannelRules(other, e.tenantID, channel.Rules{{Name: "all-direct", Channel: channel.Direct}})
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			if err := w.write(); err == nil || !strings.Contains(err.Error(), "row-level security") {
				t.Fatalf("write under another tenant's scope: %v, want a row-level security refusal", err)
			}
			var n int64
			if err := e.db.WithContext(db.WithSystem(context.Background())).Table(w.table).Count(&n).Error; err != nil || n != 0 {
				t.Fatalf("%s has %d rows (%v), want none", w.table, n, err)
			}
		})
	}
}

func TestSpoolFullAnswers503WithRetryAfter(t *testing.T) {
	e := newEnv(t, func(c *config.Tracking) { c.SpoolMaxMB = 1 })
	props := `,"name":"fill","props":{"p":"` + strings.Repeat("x", 500) + `"}`
	var status int
	var h http.Header
	for i := 0; i < 200 && status != 503; i++ {
		events := make([]string, 40)
		for j := range events {
			events[j] = event("track", props)
		}
		status, _, h = e.post(t, batch(events...), nil)
		if status != 204 && status != 503 {
			t.Fatalf("unexpected status %d", status)
		}
	}
	if status != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("a full spool answered %d (Retry-After %q), want 503 with Retry-After", status, h.Get("Retry-After"))
	}
	if err := e.mod.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if status, b, _ := e.post(t, batch(event("pageview", "")), nil); status != 204 {
		t.Fatalf("after draining: %d %s", status, b)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t, nil)
	_, _, h := e.post(t, batch(event("pageview", "")), nil)
	if h.Get("Access-Control-Allow-Origin") != "https://www.acme.example" {
		t.Errorf("allowed origin not echoed: %v", h)
	}
	status, _, h := e.post(t, batch(event("pageview", "")), map[string]string{"Origin": "https://evil.example"})
	if status != 403 || h.Get("Access-Control-Allow-Origin") != "https://evil.example" {
		t.Errorf("a foreign origin must get a 403 it can read (so the tracker drops the batch): %d %v", status, h)
	}
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/t/collect", nil)
	req.Header.Set("Origin", "https://acme.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Methods") != "POST" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestAcceptedEventsAreIndexedOnceWithEnrichment(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	pv := event("pageview", `,"ss":true,"ref":"https://www.google.com/","title":"Pricing","sw":1440,"sh":900,"lang":"en-GB","tz":"Europe/London"`)
	form := event("form", `,"email":"Ann@Acme.example","form":{"id":"demo","name":"demo","action":"/thanks"},"fields":{"company":"Acme","secret":"x"}`)
	body := batch(pv, form)
	headers := map[string]string{"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}
	if status, b, _ := e.post(t, body, headers); status != 204 {
		t.Fatalf("collect: %d %s", status, b)
	}
	// The tracker retries after a lost answer: the same events again must not duplicate.
	if status, b, _ := e.post(t, body, headers); status != 204 {
		t.Fatalf("collect replay: %d %s", status, b)
	}
	if err := e.mod.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.search.Refresh(ctx, e.tenant, search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	n, err := e.search.Count(ctx, e.tenant, search.Touchpoints, nil)
	if err != nil || n != 2 {
		t.Fatalf("indexed %d touchpoints (err %v), want 2", n, err)
	}
	var doc map[string]any
	pvID := pv[7:27]
	raw, err := e.search.Get(ctx, e.tenant, search.Touchpoints, pvID)
	if err != nil || raw == nil {
		t.Fatalf("page view %s not found: %v", pvID, err)
	}
	json.Unmarshal(raw, &doc)
	want := map[string]any{
		"type": "pageview", "channel": "Paid Search", "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "q4",
		"path": "/pricing", "referrer_host": "www.google.com", "screen": "1440x900", "browser": "Chrome", "is_bot": false,
		"session_start": true, "landing_page": "https://acme.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=q4",
		"ip": "127.0.0.0",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("page view %s = %v, want %v", k, doc[k], v)
		}
	}
	if doc["channel_rule"] == "" || doc["channel_rule"] == nil {
		t.Error("page view does not record the channel rule that classified it")
	}
	formID := form[7:27]
	raw, _ = e.search.Get(ctx, e.tenant, search.Touchpoints, formID)
	doc = nil
	json.Unmarshal(raw, &doc)
	if doc["person_id"] != "p-ann" || doc["email_domain"] != "acme.example" || doc["form_id"] != "demo" {
		t.Errorf("form touchpoint %v: want the person, email domain and form", doc)
	}
	if strings.Contains(string(raw), "Ann@") || strings.Contains(string(raw), `"secret"`) || strings.Contains(string(raw), `"company"`) {
		t.Errorf("the index holds the email or form values that were not allowed: %s", raw)
	}
}

func TestSettingsAndConfigEndpoint(t *testing.T) {
	e := newEnv(t, nil)
	get := func() (int, tracking.Settings, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/t/config/acme-site", nil)
		req.Header.Set("Origin", "https://acme.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s tracking.Settings
		json.NewDecoder(resp.Body).Decode(&s)
		return resp.StatusCode, s, resp.Header
	}
	status, s, h := get()
	if status != 200 || !s.HonorDNT || s.ConsentRequired || len(s.DownloadExtensions) < 9 || h.Get("Access-Control-Allow-Origin") != "https://acme.example" {
		t.Fatalf("defaults: %d %+v %v", status, s, h)
	}
	if err := e.mod.SetSiteSettings(context.Background(), "acme-site", tracking.Settings{ConsentRequired: true, DownloadExtensions: []string{"dmg"}, FormFields: []string{"company"}}); err != nil {
		t.Fatal(err)
	}
	_, s, _ = get()
	if !s.ConsentRequired || s.HonorDNT || s.FormFields[0] != "company" || s.DownloadExtensions[len(s.DownloadExtensions)-1] != "dmg" {
		t.Fatalf("after change: %+v", s)
	}
	resp, err := http.Get(e.srv.URL + "/t/config/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown site config: %d", resp.StatusCode)
	}
}

func TestNoscriptPixel(t *testing.T) {
	e := newEnv(t, nil)
	get := func(site, referer string) int {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/t/p.gif?site="+site, nil)
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Type") != "image/gif" || !strings.HasPrefix(string(b), "GIF89a") {
			t.Fatalf("pixel answered %s %q", resp.Header.Get("Content-Type"), b)
		}
		return resp.StatusCode
	}
	before := e.mod.Pending()
	get("acme-site", "https://acme.example/about?utm_source=newsletter&utm_medium=email")
	get("acme-site", "https://evil.example/")
	get("nope-site", "https://acme.example/")
	get("acme-site", "")
	if got := e.mod.Pending() - before; got != 1 {
		t.Fatalf("pixel spooled %d events, want 1 (only the allowed page)", got)
	}
	ctx := context.Background()
	if err := e.mod.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.search.Refresh(ctx, e.tenant, search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	if n, err := e.search.Count(ctx, e.tenant, search.Touchpoints, map[string]string{"channel": "Email", "path": "/about"}); err != nil || n != 1 {
		t.Fatalf("the pixel page view is not indexed with its page and channel: %d %v", n, err)
	}
}

// The background ingester and Drain (tests, shutdown) take batches one at a time:
// overlapping, they acknowledged out of order and lost their place in the spool.
func TestDrainWhileTheIngesterRuns(t *testing.T) {
	e := newEnv(t, func(tc *config.Tracking) { tc.BulkSize = 3 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.mod.Start(ctx); err != nil {
		t.Fatal(err)
	}
	const posts = 20
	var wg sync.WaitGroup
	errs := make(chan error, posts)
	for i := range posts {
		body := batch(event("pageview", `,"ss":true`), event("pageview", ""))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, b, _ := e.post(t, body, nil); status != 204 {
				errs <- fmt.Errorf("collect %d: %d %s", i, status, b)
				return
			}
			if err := e.mod.Drain(ctx); err != nil {
				errs <- fmt.Errorf("drain %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := e.mod.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.search.Refresh(ctx, e.tenant, search.Touchpoints); err != nil {
		t.Fatal(err)
	}
	if n, err := e.search.Count(ctx, e.tenant, search.Touchpoints, nil); err != nil || n != 2*posts {
		t.Fatalf("indexed %d touchpoints (err %v), want %d", n, err, 2*posts)
	}
}
