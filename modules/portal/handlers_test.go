package portal_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/portal"
	"github.com/srgplatform/srg/modules/portal/reports/reportstest"
)

// server is the portal on a real echo with the production renderer and an
// authorizer that allows everything; requests are made as the fixture's user, ann,
// unless the test names another ("nobody", or "none" for no one).
type server struct {
	e   *echo.Echo
	env *reportstest.Env
}

func newServer(t *testing.T) *server {
	t.Helper()
	env := reportstest.New(t)
	e := apptest.Echo(t)
	e.Use(apptest.Principals{
		"ann":    {UserID: reportstest.UserID, Email: "ann@acme.example", SessionID: "s1"},
		"nobody": {UserID: 8, Email: "nobody@acme.example", SessionID: "s2"},
	}.SignIn)
	dir := reportstest.Directory{DB: env.DB}
	m := portal.New(portal.Deps{Version: "test", DB: env.DB, Search: env.ES, Campaigns: env.Matcher, Models: reportstest.Models{},
		Directory: dir, Layout: web.NewLayout(dir, apptest.AllowAll{}), Log: apptest.Logger(t),
		Now: func() time.Time { return reportstest.At("2024-04-30T12:00:00Z") }})
	web.NewRouter(e, apptest.AllowAll{}, apptest.TenantsIn(env.DB)).Mount(m.Routes()...)
	return &server{e: e, env: env}
}

func (s *server) get(t *testing.T, path, user string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "text/html")
	if user == "" {
		user = "ann"
	}
	req.Header.Set(apptest.PrincipalHeader, user)
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

const march = "from=2024-03-01&to=2024-04-30"

func TestPages(t *testing.T) {
	s := newServer(t)
	scenarios := []struct {
		name, path, user string
		status           int
		want, notWant    []string
	}{
		{name: "home sends a member to the first workspace", path: "/", status: http.StatusSeeOther},
		{name: "home sends the anonymous to sign in", path: "/", user: "none", status: http.StatusSeeOther},
		{name: "home tells a user of no workspace", path: "/", user: "nobody", status: 200, want: []string{"You belong to no workspace"}},
		{name: "tenant root", path: "/t/acme", status: http.StatusSeeOther},

		{name: "dashboard", path: "/t/acme/dashboard?" + march, status: 200,
			want:    []string{"<h1>Dashboard</h1>", `hx-get="/t/acme/dashboard/report?`, `hx-trigger="load"`, `value="2024-03-01"`, `href="/t/other/dashboard">Other`, `aria-current="page">Dashboard`, "ann@acme.example"},
			notWant: []string{"Install the tracking snippet", "Connect your CRM"}},
		{name: "dashboard report", path: "/t/acme/dashboard/report?" + march + "&model=linear&compare=linear&compare=first_touch", status: 200,
			want:    []string{"Pipeline by channel", "€ 1,400.00", "€ 1,000.00", "Paid Search", `data-chart="{&#34;kind&#34;:&#34;bar&#34;,&#34;currency&#34;:&#34;EUR&#34;`, "brand", "First touch"},
			notWant: []string{"<html"}},
		{name: "dashboard report of an empty range", path: "/t/acme/dashboard/report?from=2023-01-01&to=2023-01-31", status: 200, want: []string{"Nothing credited in this range"}},
		{name: "dashboard default range", path: "/t/acme/dashboard/report", status: 200, want: []string{"€ 1,400.00"}},
		{name: "dashboard of a new tenant", path: "/t/fresh/dashboard", status: 200, want: []string{"Install the tracking snippet", "Connect your CRM", "/t/fresh/settings/tracking"}},
		{name: "dashboard of a tenant with credits but no touchpoint", path: "/t/other/dashboard", status: 200, want: []string{"Install the tracking snippet"}, notWant: []string{"Connect your CRM"}},
		{name: "dashboard of an unknown tenant", path: "/t/nope/dashboard", status: 404},
		{name: "bad start date", path: "/t/acme/dashboard?from=2024-02-30", status: 400, want: []string{"start date", "400"}},
		{name: "bad end date in the report", path: "/t/acme/dashboard/report?to=tomorrow", status: 400, want: []string{"end date"}},
		{name: "unknown model", path: "/t/acme/dashboard/report?model=magic", status: 400, want: []string{"unknown attribution model"}},
		{name: "model not computed", path: "/t/acme/dashboard?model=markov", status: 400, want: []string{"not computed"}},
		{name: "unknown compared model", path: "/t/acme/dashboard/report?compare=magic", status: 400, want: []string{"unknown attribution model"}},

		{name: "campaigns", path: "/t/acme/campaigns?" + march, status: 200, want: []string{"<h1>Campaigns</h1>", `hx-get="/t/acme/campaigns/report?`}},
		{name: "campaigns report", path: "/t/acme/campaigns/report?" + march, status: 200,
			want: []string{"Brand", "Google ads", "€ 300.00", "1.67×", "66.7%", "€ 150.00", "newsletter", "Not matched to an ad campaign", "Prospecting", "$ 50.00",
				"Some spend is in another currency than EUR"}},
		{name: "campaigns of a new tenant", path: "/t/fresh/campaigns/report", status: 200, want: []string{"No campaign yet"}},
		{name: "campaigns with a bad date", path: "/t/acme/campaigns/report?from=x", status: 400},

		{name: "journey search form", path: "/t/acme/journeys", status: 200, want: []string{"Find a person, account or opportunity"}},
		{name: "journey search", path: "/t/acme/journeys?q=acme", status: 200,
			want:    []string{"/t/acme/journeys/person/1", "/t/acme/journeys/account/1", "/t/acme/journeys/opportunity/hubspot:1", "Acme platform deal"},
			notWant: []string{"Other tenant deal", "ann@other.example"}},
		{name: "journey search without result", path: "/t/acme/journeys?q=zzz", status: 200, want: []string{"Nothing matches"}},
		{name: "journey search too long", path: "/t/acme/journeys?q=" + strings.Repeat("x", 201), status: 400},
		{name: "person journey", path: "/t/acme/journeys/person/1", status: 200,
			want: []string{"ann@acme.example", "paid-search-click-id", "email-medium", "€ 500.00", "€ 1,000.00", "Linear", "First touch"}},
		{name: "account journey", path: "/t/acme/journeys/account/1", status: 200, want: []string{"Acme Corp", "bob@acme.example", "organic-search-referrer"}},
		{name: "opportunity journey", path: "/t/acme/journeys/opportunity/hubspot:1", status: 200,
			want: []string{"Acme platform deal", "50.0%", "100.0%", "paid-search-click-id", "won 2024-04-10"}},
		{name: "another tenant's person", path: "/t/acme/journeys/person/4", status: 404},
		{name: "another tenant's account", path: "/t/acme/journeys/account/2", status: 404},
		{name: "another tenant's opportunity", path: "/t/acme/journeys/opportunity/hubspot:9", status: 404},
		{name: "a malformed person id", path: "/t/acme/journeys/person/abc", status: 404},

		{name: "touchpoints", path: "/t/acme/touchpoints?from=2024-01-01&to=2024-04-30", status: 200,
			want: []string{"7 touchpoints", "paid-search-click-id", "/t/acme/touchpoints/export.csv?from=2024-01-01", "/t/acme/journeys/person/1"}},
		{name: "touchpoints filtered", path: "/t/acme/touchpoints?from=2024-01-01&to=2024-04-30&type=form", status: 200, want: []string{"1 touchpoints", "https://acme.example/demo"}},
		{name: "touchpoints of a new tenant", path: "/t/fresh/touchpoints", status: 200, want: []string{"No touchpoint"}},
		{name: "touchpoints bad page", path: "/t/acme/touchpoints?page=0", status: 400, want: []string{"page"}},
		{name: "touchpoints page not a number", path: "/t/acme/touchpoints?page=two", status: 400},
		{name: "touchpoints page too deep", path: "/t/acme/touchpoints?page=1000", status: 400, want: []string{"export"}},
		{name: "touchpoints bad type", path: "/t/acme/touchpoints?type=click", status: 400, want: []string{"unknown touchpoint type"}},
		{name: "touchpoints bad date", path: "/t/acme/touchpoints?from=01/02/2024", status: 400},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := s.get(t, sc.path, sc.user)
			body := rec.Body.String()
			if rec.Code != sc.status {
				t.Fatalf("GET %s: %d, want %d\n%s", sc.path, rec.Code, sc.status, body)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q\n%s", sc.path, w, body)
				}
			}
			for _, w := range sc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("GET %s: body has %q", sc.path, w)
				}
			}
		})
	}
	for user, want := range map[string]string{"": "/t/acme/dashboard", "none": "/login"} {
		if loc := s.get(t, "/", user).Header().Get("Location"); loc != want {
			t.Errorf("home redirects user %q to %q, want %q", user, loc, want)
		}
	}
}

func TestTouchpointExport(t *testing.T) {
	s := newServer(t)
	audits := func() []struct{ Actor, Target, RemoteAddr, Details string } {
		var out []struct{ Actor, Target, RemoteAddr, Details string }
		if err := s.env.DB.WithContext(db.WithTenant(context.Background(), s.env.Acme)).Raw(`SELECT actor, target, remote_addr, details::text AS details FROM audit_log WHERE action = 'export.touchpoints' AND tenant_id = ?`, s.env.Acme).Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}

	rec := s.get(t, "/t/acme/touchpoints/export.csv?from=2024-03-01&to=2024-04-30&channel=Paid+Search", "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `attachment; filename="acme-touchpoints-`) {
		t.Fatalf("export: %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "event_id" || rows[1][0] != "t3" || rows[2][0] != "t1" {
		t.Fatalf("rows %q", rows)
	}
	got := audits()
	if len(got) != 1 || got[0].Actor != "user:7" || got[0].Target != "touchpoints" || !strings.Contains(got[0].Details, "channel=Paid+Search") {
		t.Fatalf("audit rows %+v", got)
	}

	rec = s.get(t, "/t/acme/touchpoints/export.csv?from=yesterday", "")
	if rec.Code != 400 || len(audits()) != 1 {
		t.Fatalf("a malformed export: %d, %d audit rows; want 400 and nothing audited", rec.Code, len(audits()))
	}
	rec = s.get(t, "/t/fresh/touchpoints/export.csv", "")
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || strings.Count(string(body), "\n") != 1 {
		t.Fatalf("export of a tenant without touchpoints: %d %q, want the header only", rec.Code, body)
	}
}
