package app_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/audit"
	"github.com/srgplatform/srg/app/web"
	"github.com/srgplatform/srg/modules/attribution"
	"github.com/srgplatform/srg/modules/auth"
	"github.com/srgplatform/srg/modules/portal"
	"github.com/srgplatform/srg/modules/portal/reports"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/tenants"
	"github.com/srgplatform/srg/modules/tracking"
	"github.com/srgplatform/srg/modules/warehouse"

	syncer "github.com/srgplatform/srg/modules/sync"
)

var samplePage = web.Page{Title: "Sample", Section: "dashboard", CSRF: "tok<en>", User: "ann@acme.example",
	Tenant:  web.TenantRef{ID: 1, Slug: "acme", Name: "Acme", Currency: "EUR"},
	Tenants: []web.TenantRef{{ID: 1, Slug: "acme", Name: "Acme", Currency: "EUR"}, {ID: 2, Slug: "globex", Name: "Globex", Currency: "USD"}},
	Nav:     []web.NavItem{{Label: "Dashboard", Section: "dashboard", URL: "/t/acme/dashboard"}, {Label: "Tracking", Section: "settings.tracking", URL: "/t/acme/settings/tracking"}},
}

var sampleFilter = portal.Filter{From: "2024-03-01", To: "2024-03-31", Model: "linear", Compare: []string{"linear", "first_touch"},
	Range:  reports.Range{From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)},
	Models: reports.Models{All: []string{"linear", "first_touch", "markov"}, On: []string{"linear", "first_touch"}, Default: "linear"}}

func ptr[T any](v T) *T { return &v }

// pageSamples holds a view model for every module page; a page without one fails
// TestEveryPageRenders, so a new page cannot ship without being rendered once.
var pageSamples = map[string]any{
	"attribution/settings": attribution.SettingsPage{Page: samplePage, Settings: attribution.DefaultSettings(), Models: []string{"linear", "markov"},
		Types: []string{"pageview"}, ExcludeChannels: "Direct", Error: "lookback_days: <bad>", Saved: true, UpdatedAt: time.Now()},
	"tracking/sites": tracking.SitesPage{Page: samplePage, Saved: "acme-site", Sites: []tracking.SiteView{{
		SiteRecord: tracking.SiteRecord{Key: "acme-site", Name: "Acme web", Domains: []string{"acme.example"}},
		Settings:   tracking.Settings{HonorDNT: true, DownloadExtensions: []string{"pdf"}}, Snippet: `<script defer src="https://x/sona.js" data-site="acme-site"></script>`, Error: "<b>"}}},
	"tracking/channels": tracking.ChannelsPage{Page: samplePage, Rules: `[{"name":"</textarea><b>"}]`, Channels: []string{"Direct"}, Previewing: true, Changed: 1,
		Preview: []tracking.PreviewRow{{URL: "https://acme.example/", WasChannel: "Direct", WasRule: "direct", Channel: "Email", Rule: "email-medium"}}},
	"sync/connectors": syncer.ConnectorsPage{Page: samplePage, Kinds: []connector.Kind{connector.HubSpot}, Error: "<b>", Notice: "Connected.",
		Check:      &syncer.CheckResult{OK: false, Message: "refused"},
		Connectors: []syncer.Connector{{Kind: connector.HubSpot, Schedule: "@every 1h", Status: "error", LastError: "<b>", NextRunAt: time.Now()}},
		Form:       syncer.ConnectForm{Kind: "hubspot", Credentials: "</textarea><b>"}},
	"sync/runs": syncer.RunsPage{Page: samplePage, Connector: syncer.Connector{Kind: connector.HubSpot},
		Runs: []syncer.RunLog{{Direction: "pull", Trigger: "manual", Status: "ok", StartedAt: time.Now(), FinishedAt: ptr(time.Now()), Counts: map[string]int{"account": 2}}}},
	"warehouse/destinations": warehouse.DestinationsPage{Page: samplePage, Kinds: warehouse.Kinds, Error: "<b>", Notice: "Deleted.",
		Destinations: []warehouse.Destination{{ID: 3, Name: "dw", Kind: "postgres", Schedule: "@every 1h", Status: "error", LastError: "<b>", Enabled: true,
			NextRunAt: time.Now(), Datasets: []string{"touchpoints", "credits"}}},
		Form: warehouse.DestinationForm{Kind: "s3", Credentials: "</textarea><b>", PII: "hash", Datasets: []string{"credits"}}},
	"warehouse/destination": warehouse.DestinationPage{Page: samplePage, Notice: "Saved.", Error: "<b>", Check: &warehouse.CheckResult{Message: "refused <b>"},
		Destination: warehouse.Destination{ID: 3, Name: "dw", Kind: "postgres", LastError: "<b>"},
		Form:        warehouse.DestinationForm{Settings: `{"schema": "</textarea>"}`, PII: "omit", Datasets: []string{"touchpoints"}},
		Marks:       []warehouse.DatasetMark{{Dataset: "touchpoints", Mark: &warehouse.Mark{At: time.Now(), ID: "e1"}}, {Dataset: "credits"}},
		Runs: []warehouse.Run{{Trigger: "backfill", BackfillFrom: ptr(time.Now()), Status: "ok", StartedAt: time.Now(), FinishedAt: ptr(time.Now()),
			Rows: map[string]int64{"touchpoints": 3}, Bytes: 2048}, {Trigger: "manual", Status: "running", StartedAt: time.Now(), Error: "<b>"}}},
	"auth/login": auth.LoginPage{Page: web.Page{Title: "Sign in"}, CSRF: "tok", Email: "ann@acme.example", Next: "/t/acme", Error: "Wrong email or password.", Field: "password"},
	"auth/code": auth.CodePage{Page: web.Page{Title: "Enter your code"}, CSRF: "tok", Next: "/", Phone: "••••••0100", AttemptsLeft: 4, ResendIn: 12,
		Sent: true, Error: "Wrong code. 4 tries left."},
	"auth/sso": auth.SSOPage{Page: web.Page{Title: "Single sign-on"}, Workspace: "acme", Next: "/t/acme/dashboard",
		Error: "Your account at the identity provider is in no group that has access to this workspace."},
	"auth/throttled": auth.ThrottledPage{Page: web.Page{Title: "Too many attempts"}, Message: "Too many failed sign-ins. Try again in 3 minutes.", Back: "/login"},
	"auth/account": auth.AccountPage{Page: samplePage, CSRF: "tok", Notice: "Your password was changed.", Error: "Wrong code. <b>", Form: auth.FormCode, Field: "code",
		Account:     auth.Account{Email: "ann@acme.example", Name: "Ann <b>", Phone: "+15555550101", Sessions: 2},
		PhoneChange: &auth.Challenge{Phone: "••••••••0199", ResendIn: 12 * time.Second, AttemptsLeft: 4}, NewPhone: "+1555<b>"},
	"auth/new_password": auth.NewPasswordPage{Page: web.Page{Title: "Choose a new password", User: "ann@acme.example"}, CSRF: "tok", Email: "ann@acme.example",
		Next: "/t/acme/dashboard", Error: "Choose a password of your own, not the temporary one.", Field: "new"},
	"auth/sso_settings": auth.SSOSettingsPage{Page: samplePage, RedirectURL: "https://srg.example/login/sso/callback", Roles: []string{"owner", "viewer"},
		CanWrite: true, Notice: "Single sign-on saved.", Error: "group_roles: <b>", Field: "group_roles",
		Settings: &auth.SSOSettings{IssuerURL: "https://login.acme.example", ClientID: "srg <b>", ClientSecretSet: true, AllowedDomains: []string{"acme.example"},
			GroupsClaim: "groups", GroupRoles: map[string]string{"<b>admins": "admin"}, Source: "api", UpdatedAt: time.Now()},
		Form: auth.SSOForm{IssuerURL: "https://login.acme.example", ClientID: "srg", AllowedDomains: "acme.example", GroupsClaim: "groups",
			Mappings: []auth.GroupRole{{Group: "<b>admins", Role: "admin"}, {}}}},
	"tenants/users": tenants.UsersPage{Page: samplePage, Roles: []string{"owner", "viewer"}, Notice: "Role changed.", Error: "<b>", Field: "phone", ErrorUser: 2,
		Members: []tenants.Member{{UserID: 2, Email: "ann@acme.example", Name: "Ann <b>", Role: "owner", Since: time.Now()}},
		Form:    tenants.NewMember{Email: "<b>@x", Role: "viewer", Phone: "+1555"}, Reset: &tenants.Reset{Member: tenants.Member{Email: "<b>@x"}, Password: "<b>-abcde"}},
	"tenants/audit": tenants.AuditPage{Page: samplePage, Action: "member.<b>", NextBefore: 7, Paged: true,
		Entries: []tenants.AuditRow{{Who: "ann@acme.example", Logged: audit.Logged{ID: 8, At: time.Now(), Actor: "user:2", Action: "member.added", Target: "<b>", RemoteAddr: "192.0.2.1"}}}},
	"auth/tokens": auth.TokensPage{Page: samplePage, Roles: []string{"owner", "viewer"}, Notice: "Token revoked.", Error: "<b>", Field: "name",
		Form:    auth.TokenRequest{Name: "<b>", Role: "viewer"},
		Created: &auth.NewToken{Token: auth.Token{ID: 3, Name: "<b>", Role: "viewer"}, Secret: "srg_<b>"},
		Tokens: []auth.Token{{ID: 3, Name: "loader <b>", Role: "viewer", CreatedBy: "ann@acme.example", CreatedAt: time.Now(), LastUsedAt: ptr(time.Now())},
			{ID: 2, Name: "old", Role: "admin", CreatedBy: "<b>", CreatedAt: time.Now(), RevokedAt: ptr(time.Now())}}},
	"portal/home":      portal.HomePage{Page: web.Page{Title: "Welcome"}, Version: "v1.2.3"},
	"portal/dashboard": portal.DashboardPage{Page: samplePage, Filter: sampleFilter},
	"portal/dashboard#report": portal.DashboardReport{Page: samplePage, Filter: sampleFilter,
		Dashboard: reports.Dashboard{Model: "linear", Compare: []string{"linear", "first_touch"}, Interval: "day",
			Pipeline: []reports.Amount{{Name: "Paid Search", Value: 900}}, PipelineTotal: 900, LeadsTotal: 1.5,
			Leads:      []reports.Amount{{Name: "Email", Value: 1.5}},
			Campaigns:  []reports.CampaignAmount{{Campaign: "brand <b>", Pipeline: 900}},
			Comparison: []reports.ModelRow{{Channel: "Paid Search", Values: []float64{900, 1000}}}, ComparisonTotals: []float64{900, 1000}},
		PipelineChart: portal.Chart{Kind: "bar", Currency: "EUR", Categories: []string{"</script><b>x"}, Series: []portal.ChartSeries{{Name: "Pipeline", Values: []float64{900}}}}},
	"portal/campaigns": portal.CampaignsPage{Page: samplePage, Filter: sampleFilter},
	"portal/campaigns#report": portal.CampaignsReport{Page: samplePage, Filter: sampleFilter, Campaigns: reports.Campaigns{
		Rows:      []reports.CampaignRow{{Platform: "google_ads", CampaignID: "1", Name: "Brand", Sources: []string{"google"}, Spend: 300, SpendCurrency: "EUR", Clicks: 30, Pipeline: 900, Revenue: 500, Opportunities: 2}, {Name: "launch", Leads: 0.5}},
		Platforms: []reports.PlatformRow{{Platform: "google_ads", CampaignRow: reports.CampaignRow{Spend: 300, SpendCurrency: "EUR"}}, {CampaignRow: reports.CampaignRow{Leads: 0.5}}}, ForeignSpend: true,
		Hidden: 3, RowLimit: 2000}},
	"portal/journeys": portal.JourneysPage{Page: samplePage, Query: "acme", Found: reports.Found{
		People:        []reports.Person{{ID: 1, Email: "ann@acme.example"}},
		Accounts:      []reports.Account{{ID: 1, Domain: "acme.example", Name: "Acme Corp"}},
		Opportunities: []reports.Opportunity{{ID: "hubspot:1", Name: "Deal", Amount: ptr(10.0), Currency: "EUR"}}}},
	"portal/journey": portal.JourneyPage{Page: samplePage, Kind: "opportunity", Models: []string{"linear", "first_touch"},
		Opportunity: reports.Opportunity{ID: "hubspot:1", Name: "Deal", Amount: ptr(10.0), Currency: "EUR", IsWon: true, IsClosed: true,
			CreatedDate: ptr(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)), CloseDate: ptr(time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC))},
		Timeline: reports.Timeline{Entries: []reports.Entry{{TouchpointID: "t1", Type: "pageview", Channel: "Email", ChannelRule: "email-medium",
			Credits: map[string]float64{"linear": 5}, Fractions: map[string]float64{"linear": .5}}}, Totals: map[string]float64{"linear": 5}, Truncated: true}},
	"portal/touchpoints": portal.TouchpointsPage{Page: samplePage, From: "2024-03-01", To: "2024-03-31", Types: reports.TouchpointTypes, Query: "from=2024-03-01",
		Result: reports.TouchpointPage{Page: 2, Pages: 3, Total: 120, Touchpoints: []reports.Touchpoint{{EventID: "e1", Type: "pageview", URL: "https://acme.example/?q=<x>", PersonID: "3"}}}},
}

// TestEveryPageRenders renders every page (and every fragment sampled) of every
// module with a sample view model, through the production template functions.
// pageWants are what some samples' pages must show.
var pageWants = map[string][]string{
	"portal/campaigns#report": {"The 2000 campaigns with the most pipeline and revenue are listed, and 3 more left out"},
}

func TestEveryPageRenders(t *testing.T) {
	r := apptest.Renderer(t)
	for _, name := range r.Names() {
		if strings.HasPrefix(name, "web/") {
			continue // app/web's own test renders those
		}
		if _, ok := pageSamples[name]; !ok {
			t.Errorf("no sample view model for page %s", name)
		}
	}
	for name, data := range pageSamples {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.Render(&buf, name, data, nil); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(name, "#") && !strings.Contains(out, "</html>") {
				t.Fatalf("page is not a whole document:\n%s", out)
			}
			if strings.Contains(out, "<b>") || strings.Contains(out, "</script><b>") {
				t.Errorf("unescaped sample text in %s", name)
			}
			if strings.Contains(out, "/static/missing/") {
				t.Errorf("%s links an asset that does not exist", name)
			}
			for _, want := range pageWants[name] {
				if !strings.Contains(out, want) {
					t.Errorf("%s does not show %q", name, want)
				}
			}
		})
	}
}
