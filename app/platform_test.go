package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app"
	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/web"
)

func build(t *testing.T, cfg config.Config) *app.Platform {
	t.Helper()
	p, err := app.Build(context.Background(), cfg, apptest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// indicesReady waits until the declared tenants' indices, which Start creates in the
// background, can be searched, so that a page read right after start does not race them.
func indicesReady(t *testing.T, p *app.Platform) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Search.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range p.Config.Tenants {
		if err := p.Search.EnsureTenant(ctx, tenant.Slug); err != nil {
			t.Fatal(err)
		}
	}
}

func readiness(t *testing.T, base string) (int, app.Readiness) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r app.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
}

// waitFor polls cond until it holds or the deadline passes; it waits for the system to
// reach a state and asserts nothing about how fast.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, 60*time.Second, what, cond)
}

// waitWithin is waitFor with its own patience, for conditions whose time grows with
// the machine's load.
func waitWithin(t *testing.T, patience time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %s for %s", patience, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestReadyzFollowsElasticsearch(t *testing.T) {
	cfg := apptest.Config(t)
	proxy := apptest.NewProxy(t, cfg.Elasticsearch.URL)
	cfg.Elasticsearch.URL = proxy.URL()
	p := build(t, cfg)
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()

	waitFor(t, "ready", func() bool { code, _ := readiness(t, srv.URL); return code == http.StatusOK })
	_, r := readiness(t, srv.URL)
	for _, part := range []string{"postgres", "migrations", "elasticsearch"} {
		if r.Checks[part] != "ok" {
			t.Errorf("ready but %s = %q", part, r.Checks[part])
		}
	}

	proxy.Cut()
	waitFor(t, "503 while elasticsearch is down", func() bool { code, _ := readiness(t, srv.URL); return code == http.StatusServiceUnavailable })
	_, r = readiness(t, srv.URL)
	if r.Checks["elasticsearch"] == "ok" || !strings.Contains(r.Checks["elasticsearch"], "elasticsearch") {
		t.Errorf("elasticsearch check = %q, want it named as failing", r.Checks["elasticsearch"])
	}
	if r.Checks["postgres"] != "ok" {
		t.Errorf("postgres check = %q while only elasticsearch is down", r.Checks["postgres"])
	}

	proxy.Restore()
	waitFor(t, "ready again without a restart", func() bool { code, _ := readiness(t, srv.URL); return code == http.StatusOK })
}

func TestReadyzNamesPendingMigrations(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.Database.MigrateOnStart = false
	p, err := app.Build(context.Background(), cfg, apptest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()
	code, r := readiness(t, srv.URL)
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(r.Checks["migrations"], "pending") {
		t.Fatalf("got %d %+v, want 503 naming pending migrations", code, r)
	}
}

func TestStartServesWhileElasticsearchIsDown(t *testing.T) {
	cfg := apptest.Config(t)
	proxy := apptest.NewProxy(t, cfg.Elasticsearch.URL)
	proxy.Cut()
	cfg.Elasticsearch.URL = proxy.URL()
	cfg.Tenants = []config.Tenant{{Slug: "late", Name: "Late"}}
	p := build(t, cfg)
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()
	if code, r := readiness(t, srv.URL); code != http.StatusServiceUnavailable || r.Checks["elasticsearch"] == "ok" {
		t.Fatalf("got %d %+v, want 503 naming elasticsearch", code, r)
	}
	proxy.Restore()
	waitFor(t, "ready after elasticsearch came up", func() bool { code, _ := readiness(t, srv.URL); return code == http.StatusOK })
	waitFor(t, "the declared tenant's indices", func() bool {
		resp, err := http.Head(cfg.Elasticsearch.URL + "/" + cfg.Elasticsearch.IndexPrefix + "-late-touchpoints")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// A credit index the running binary creates (first start, an upgrade's rebuild, a
// deletion) is filled by a recompute at once, with the scheduler off.
func TestCreatedCreditIndexIsRecomputed(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.Tenants = []config.Tenant{{Slug: "fresh", Name: "Fresh"}}
	p := build(t, cfg)
	lastRun := func() (at time.Time) {
		apptest.System(p.DB).Raw(`SELECT coalesce(max(r.last_started), 'epoch') FROM attribution_runs r JOIN tenants t ON t.id = r.tenant_id
			WHERE t.slug = 'fresh'`).Row().Scan(&at)
		return at
	}
	waitFor(t, "the recompute after the declared tenant's credit index was created", func() bool { return lastRun().After(time.Unix(0, 0)) })
	first := lastRun()
	req, _ := http.NewRequest(http.MethodDelete, cfg.Elasticsearch.URL+"/"+p.Search.IndexName("fresh", "credits"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("delete the credit index: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := p.Search.EnsureTenant(context.Background(), "fresh"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the recompute after the credit index was created again", func() bool { return lastRun().After(first) })
}

func TestServeAppliesDeclarationsOnEveryStartWithoutDuplicates(t *testing.T) {
	cfg := apptest.Config(t)
	cfg.Tenants = []config.Tenant{{
		Slug: "demo", Name: "Demo",
		Sites:  []config.Site{{Key: "demo-site", Domains: []string{"localhost", "127.0.0.1"}}},
		Admins: []config.Admin{{Name: "Admin", Email: "admin@demo.example", Phone: "+15555550100"}},
	}}
	for i := 0; i < 2; i++ {
		p := build(t, cfg)
		var tenants, sites, users int64
		apptest.System(p.DB).Raw(`SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM sites), (SELECT count(*) FROM users)`).Row().Scan(&tenants, &sites, &users)
		if tenants != 1 || sites != 1 || users != 1 {
			t.Fatalf("start #%d: %d tenants, %d sites, %d users; want 1 each", i+1, tenants, sites, users)
		}
		p.Close()
	}
}

func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	p := build(t, apptest.Config(t))
	started := make(chan struct{})
	p.Router.Mount(web.Route{Method: http.MethodGet, Path: "/test/slow", Perm: web.Public, Handler: func(c echo.Context) error {
		close(started)
		time.Sleep(700 * time.Millisecond)
		return c.String(http.StatusOK, "finished")
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The same signal wiring as `srg serve`.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/test/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: body %q err %v; want it to finish", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestMountRefusesARouteWithoutPermission(t *testing.T) {
	p := build(t, apptest.Config(t))
	defer func() {
		if recover() == nil {
			t.Error("a route without a permission was mounted")
		}
	}()
	p.Router.Mount(web.Route{Method: http.MethodGet, Path: "/x", Handler: func(c echo.Context) error { return nil }})
}

func TestEveryRouteDeclaresAPermission(t *testing.T) {
	p := build(t, apptest.Config(t))
	routes := p.Router.Routes()
	if len(routes) < 4 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, r := range routes {
		if !r.Declared || r.Perm.IsZero() {
			t.Errorf("%s %s has no declared permission", r.Method, r.Path)
		}
	}
	p.Echo.GET("/sneaky", func(c echo.Context) error { return nil })
	found := false
	for _, r := range p.Router.Routes() {
		if r.Path == "/sneaky" && !r.Declared {
			found = true
		}
	}
	if !found {
		t.Error("a route added behind the router's back is not reported as undeclared")
	}
}

func TestPagesAndErrors(t *testing.T) {
	p := build(t, apptest.Config(t))
	srv := httptest.NewServer(p.Echo)
	defer srv.Close()
	get := func(path, accept string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	tests := []struct {
		name, path, accept string
		status             int
		contains           string
		contentType        string
	}{
		{"home page, not signed in: the sign-in page", "/", "text/html", 200, "Sign in to SRG", "text/html"},
		{"healthz", "/healthz", "", 200, `"status":"ok"`, "application/json"},
		{"metrics", "/metrics", "", 200, "go_sql_max_open_connections", "text/plain"},
		{"spool write times", "/metrics", "", 200, "srg_tracking_spool_write_seconds_bucket", "text/plain"},
		{"missing page as HTML", "/no/such/page", "text/html", 404, "Back to the start page", "text/html"},
		{"missing page as JSON", "/no/such/page", "application/json", 404, `"error":"Not Found"`, "application/json"},
		{"unknown asset", "/static/abc/none.css", "", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(tt.path, tt.accept)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.contains) {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.contentType) {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("security headers missing: %v", resp.Header)
			}
		})
	}

	_, home := get("/", "text/html")
	css := regexp.MustCompile(`/static/[0-9a-f]{12}/css/app\.css`).FindString(home)
	if css == "" {
		t.Fatalf("home page links no hashed stylesheet:\n%s", home)
	}
	resp, body := get(css, "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, ".card") {
		t.Fatalf("stylesheet: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	_, metrics := get("/metrics", "")
	if !strings.Contains(metrics, `srg_http_requests_total{code="303",method="GET",route="/"}`) {
		t.Errorf("metrics do not count HTTP requests by route:\n%s", metrics)
	}
}
