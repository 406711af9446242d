// Package reportstest indexes a small hand-worked fixture of credits, touchpoints,
// people, accounts, opportunities and spend into a test's own database and indices,
// for the tests of the reports and of the portal's pages.
package reportstest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/config"
	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/portal/reports"
)

// Env is a tenant "acme" with the fixture below, a tenant "other" with a person,
// an account, an opportunity and a credit of its own, and a tenant "fresh" with
// nothing at all, in a fresh database and index prefix.
type Env struct {
	DB      *gorm.DB
	ES      *search.Client
	Svc     *reports.Service
	Acme    int64
	Other   int64
	Fresh   int64
	Matcher *FixedMatcher
}

// FixedMatcher matches the campaigns it is given, as the sync module's matcher would.
type FixedMatcher struct {
	Refs map[reports.CampaignKey]reports.CampaignRef
}

// MatchCampaigns implements reports.CampaignMatcher.
func (m *FixedMatcher) MatchCampaigns(_ context.Context, _ int64, keys []reports.CampaignKey) (map[reports.CampaignKey]reports.CampaignRef, error) {
	out := map[reports.CampaignKey]reports.CampaignRef{}
	for _, k := range keys {
		if r, ok := m.Refs[k]; ok {
			out[k] = r
		}
	}
	return out, nil
}

// Day parses a date (YYYY-MM-DD) as midnight UTC.
func Day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// At parses an RFC 3339 time.
func At(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Credit is a fixture credit: what each model credited to one touchpoint of an
// opportunity, with the opportunity's kind, amount and dates.
type Credit struct {
	Opp, Touch, Person, Account, Kind string
	Amount                            float64
	Channel, Rule, Campaign, Source   string
	Touched, Created                  string
	Closed                            string
	Credit                            map[string]float64
}

func (c Credit) touch() map[string]any {
	fr := map[string]float64{}
	for m, v := range c.Credit {
		fr[m] = v / c.Amount
	}
	t := map[string]any{
		"credit_id": c.Opp + "/" + c.Touch, "touchpoint_id": c.Touch, "currency": "USD", "channel": c.Channel,
		"landing_page": "https://acme.example/" + c.Touch, "touched_at": epochMillis(c.Touched), "credit": c.Credit, "fractions": fr,
	}
	for k, v := range map[string]string{"person_id": c.Person, "account_id": c.Account, "channel_rule": c.Rule, "campaign": c.Campaign, "source": c.Source} {
		if v != "" {
			t[k] = v
		}
	}
	return t
}

// CreditDocs are the credits index documents of tenant that hold credits: one per
// opportunity (mapping version 5), its touches nested in the order given.
func CreditDocs(tenant string, credits []Credit) []search.Doc {
	var docs []search.Doc
	byOpp := map[string]map[string]any{}
	var opps []string
	for _, c := range credits {
		d, ok := byOpp[c.Opp]
		if !ok {
			d = map[string]any{
				"opportunity_id": c.Opp, "tenant": tenant, "settings_hash": "h", "kind": c.Kind, "currency": "USD", "opportunity_amount": c.Amount,
				"opportunity_created_at": epochMillis(c.Created), "computed_at": epochMillis("2024-05-01T00:00:00Z"),
				"model_versions": map[string]string{"linear": "1"}, "touches": []map[string]any{},
			}
			if c.Closed != "" {
				d["closed_at"] = epochMillis(c.Closed)
			}
			byOpp[c.Opp] = d
			opps = append(opps, c.Opp)
		}
		d["touches"] = append(d["touches"].([]map[string]any), c.touch())
	}
	for _, id := range opps {
		raw, _ := json.Marshal(byOpp[id])
		docs = append(docs, search.Doc{Tenant: tenant, Kind: search.Credits, ID: id, Source: raw})
	}
	return docs
}

// epochMillis is an RFC 3339 time as the credits index holds it, in epoch
// milliseconds.
func epochMillis(rfc3339 string) int64 {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		panic("reportstest: fixture date " + rfc3339 + ": " + err.Error())
	}
	return t.UnixMilli()
}

// The fixture: opportunity hubspot:1 won (1,000, created in March, closed in April)
// after a Paid Search and an Email touch; hubspot:2 open (400, March) after one
// Paid Search touch; hubspot:3 lost (200) but created in January, before the range;
// a lead conversion in March after a Paid Social and a Direct touch.
var fixtureCredits = []Credit{
	{Opp: "hubspot:1", Touch: "t1", Person: "1", Account: "1", Kind: "revenue", Amount: 1000, Channel: "Paid Search", Rule: "paid-search-click-id",
		Campaign: "brand", Source: "google", Touched: "2024-03-01T10:00:00Z", Created: "2024-03-05T00:00:00Z", Closed: "2024-04-10T00:00:00Z",
		Credit: map[string]float64{"linear": 500, "first_touch": 1000}},
	{Opp: "hubspot:1", Touch: "t2", Person: "1", Account: "1", Kind: "revenue", Amount: 1000, Channel: "Email", Rule: "email-medium",
		Campaign: "newsletter", Source: "mailchimp", Touched: "2024-03-04T10:00:00Z", Created: "2024-03-05T00:00:00Z", Closed: "2024-04-10T00:00:00Z",
		Credit: map[string]float64{"linear": 500}},
	{Opp: "hubspot:2", Touch: "t3", Person: "2", Account: "1", Kind: "pipeline", Amount: 400, Channel: "Paid Search", Rule: "paid-search-click-id",
		Campaign: "brand", Source: "google", Touched: "2024-03-18T10:00:00Z", Created: "2024-03-20T00:00:00Z",
		Credit: map[string]float64{"linear": 400, "first_touch": 400}},
	{Opp: "hubspot:3", Touch: "t4", Person: "2", Account: "1", Kind: "lost", Amount: 200, Channel: "Organic Search", Rule: "organic-search-referrer",
		Touched: "2024-01-10T10:00:00Z", Created: "2024-01-20T00:00:00Z", Closed: "2024-02-20T00:00:00Z",
		Credit: map[string]float64{"linear": 200, "first_touch": 200}},
	{Opp: "lead:3", Touch: "t5", Person: "3", Kind: "lead", Amount: 1, Channel: "Paid Social", Rule: "paid-social-medium",
		Campaign: "launch", Source: "linkedin", Touched: "2024-03-09T10:00:00Z", Created: "2024-03-10T00:00:00Z",
		Credit: map[string]float64{"linear": 0.5, "first_touch": 1}},
	{Opp: "lead:3", Touch: "t6", Person: "3", Kind: "lead", Amount: 1, Channel: "Direct", Rule: "direct",
		Touched: "2024-03-10T09:00:00Z", Created: "2024-03-10T00:00:00Z",
		Credit: map[string]float64{"linear": 0.5}},
}

// fixtureTouches are the touchpoints behind the credits, and a bot's page view.
var fixtureTouches = []map[string]any{
	{"event_id": "t1", "tenant": "acme", "type": "pageview", "occurred_at": "2024-03-01T10:00:00Z", "person_id": "1", "account_id": "1", "session_start": true,
		"url": "https://acme.example/pricing?utm_campaign=brand", "channel": "Paid Search", "channel_rule": "paid-search-click-id", "utm_campaign": "brand", "utm_source": "google", "is_bot": false},
	{"event_id": "t2", "tenant": "acme", "type": "form", "occurred_at": "2024-03-04T10:00:00Z", "person_id": "1", "account_id": "1",
		"url": "https://acme.example/demo", "channel": "Email", "channel_rule": "email-medium", "utm_campaign": "newsletter", "is_bot": false},
	{"event_id": "t3", "tenant": "acme", "type": "pageview", "occurred_at": "2024-03-18T10:00:00Z", "person_id": "2", "account_id": "1", "session_start": true,
		"url": "https://acme.example/features", "referrer": "=HYPERLINK(\"https://evil.example\")", "channel": "Paid Search", "channel_rule": "paid-search-click-id", "utm_campaign": "brand", "is_bot": false},
	{"event_id": "t4", "tenant": "acme", "type": "pageview", "occurred_at": "2024-01-10T10:00:00Z", "person_id": "2", "account_id": "1",
		"url": "https://acme.example/blog", "channel": "Organic Search", "channel_rule": "organic-search-referrer", "is_bot": false},
	{"event_id": "t5", "tenant": "acme", "type": "pageview", "occurred_at": "2024-03-09T10:00:00Z", "person_id": "3",
		"url": "https://acme.example/launch", "channel": "Paid Social", "channel_rule": "paid-social-medium", "utm_campaign": "launch", "is_bot": false},
	{"event_id": "t6", "tenant": "acme", "type": "identify", "occurred_at": "2024-03-10T09:00:00Z", "person_id": "3",
		"url": "https://acme.example/signup", "channel": "Direct", "channel_rule": "direct", "is_bot": false},
	{"event_id": "t7", "tenant": "acme", "type": "pageview", "occurred_at": "2024-03-11T09:00:00Z", "visitor_id": "v-bot",
		"url": "https://acme.example/", "channel": "Direct", "channel_rule": "direct", "is_bot": true},
}

// New builds the environment in a database and index prefix of its own.
func New(t testing.TB) *Env {
	t.Helper()
	return NewIn(t, apptest.Config(t))
}

// NewIn builds the environment in cfg's database and index prefix, so that a platform
// built from cfg serves the fixture.
func NewIn(t testing.TB, cfg config.Config) *Env {
	t.Helper()
	ctx := context.Background()
	e := &Env{DB: apptest.DB(t, cfg), ES: apptest.Search(t, cfg)}
	for _, tn := range []struct {
		slug, name, currency string
		id                   *int64
	}{{"acme", "Acme", "EUR", &e.Acme}, {"other", "Other", "USD", &e.Other}, {"fresh", "Fresh", "USD", &e.Fresh}} {
		if err := e.DB.Raw(`INSERT INTO tenants (slug, name, currency) VALUES (?, ?, ?) RETURNING id`, tn.slug, tn.name, tn.currency).Scan(tn.id).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"acme", "other"} {
		if err := e.ES.EnsureTenant(ctx, slug); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(t, e.DB, `INSERT INTO users (id, email, name) VALUES (?, 'ann@acme.example', 'Ann'), (8, 'nobody@acme.example', 'Nobody')`, UserID)
	mustExec(t, e.DB, `INSERT INTO tenant_members (tenant_id, user_id, role) VALUES (?, ?, 'owner'), (?, ?, 'viewer')`, e.Acme, UserID, e.Other, UserID)
	mustExec(t, e.DB, `INSERT INTO accounts (id, tenant_id, domain, name) VALUES (1, ?, 'acme.example', ''), (2, ?, 'other.example', 'Other Inc')`, e.Acme, e.Other)
	mustExec(t, e.DB, `INSERT INTO people (id, tenant_id, email, account_id, first_seen_at, last_seen_at) VALUES
		(1, ?, 'ann@acme.example', 1, '2024-03-01', '2024-03-04'),
		(2, ?, 'bob@acme.example', 1, '2024-01-10', '2024-03-18'),
		(3, ?, 'cy@gmail.example', NULL, '2024-03-09', '2024-03-10'),
		(4, ?, 'ann@other.example', 2, '2024-03-01', '2024-03-01')`, e.Acme, e.Acme, e.Acme, e.Other)
	mustExec(t, e.DB, `INSERT INTO crm_accounts (tenant_id, source, external_id, name, domain) VALUES (?, 'hubspot', 'a1', 'Acme Corp', 'acme.example')`, e.Acme)
	mustExec(t, e.DB, `INSERT INTO crm_opportunities (tenant_id, source, external_id, name, account_external_id, amount, currency, stage, is_won, is_closed, created_date, close_date) VALUES
		(?, 'hubspot', '1', 'Acme platform deal', 'a1', 1000, 'USD', 'closedwon', true, true, '2024-03-05', '2024-04-10'),
		(?, 'hubspot', '2', 'Acme expansion', 'a1', 400, 'USD', 'proposal', false, false, '2024-03-20', NULL),
		(?, 'hubspot', '9', 'Other tenant deal', '', 50, 'USD', 'proposal', false, false, '2024-03-20', NULL)`, e.Acme, e.Acme, e.Other)
	mustExec(t, e.DB, `INSERT INTO ad_spend_daily (tenant_id, platform, account_id, campaign_id, campaign_name, day, spend, currency, clicks, impressions) VALUES
		(?, 'google_ads', 'g1', '111', 'Brand (old name)', '2024-02-28', 999, 'EUR', 9, 99),
		(?, 'google_ads', 'g1', '111', 'Brand', '2024-03-01', 100, 'EUR', 10, 1000),
		(?, 'google_ads', 'g1', '111', 'Brand', '2024-03-02', 200, 'EUR', 20, 2000),
		(?, 'linkedin_ads', 'l1', '222', 'Prospecting', '2024-03-02', 50, 'USD', 5, 500),
		(?, 'google_ads', 'g9', '999', 'Other tenant', '2024-03-02', 70, 'USD', 1, 1)`, e.Acme, e.Acme, e.Acme, e.Acme, e.Other)

	docs := CreditDocs("acme", fixtureCredits)
	for _, tp := range fixtureTouches {
		raw, _ := json.Marshal(tp)
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: tp["event_id"].(string), Source: raw})
	}
	// The other tenant has a credit of its own, which acme's reports never see.
	docs = append(docs, CreditDocs("other", []Credit{{Opp: "hubspot:9", Touch: "x1", Kind: "pipeline", Amount: 50, Channel: "Paid Search",
		Campaign: "brand", Source: "google", Touched: "2024-03-18T10:00:00Z", Created: "2024-03-20T00:00:00Z", Credit: map[string]float64{"linear": 50}}})...)
	e.Index(t, docs)
	e.Matcher = &FixedMatcher{Refs: map[reports.CampaignKey]reports.CampaignRef{
		{Campaign: "brand", Source: "google"}: {Platform: "google_ads", ID: "111", Name: "Brand"},
	}}
	e.Svc = reports.New(e.DB, e.ES, e.Matcher)
	return e
}

// Index indexes docs and makes them searchable.
func (e *Env) Index(t testing.TB, docs []search.Doc) {
	t.Helper()
	ctx := context.Background()
	itemErrs, err := e.ES.BulkIndex(ctx, docs)
	if err != nil {
		t.Fatal(err)
	}
	for i, ie := range itemErrs {
		if ie != nil {
			t.Fatalf("document %d (%s %s): %v", i, docs[i].Kind, docs[i].ID, ie)
		}
	}
	refreshed := map[[2]string]bool{}
	for _, d := range docs {
		if k := [2]string{d.Tenant, d.Kind}; !refreshed[k] {
			refreshed[k] = true
			if err := e.ES.Refresh(ctx, d.Tenant, d.Kind); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Exec runs a statement under the system scope, to add rows of any tenant.
func (e *Env) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	mustExec(t, e.DB, sql, args...)
}

// mustExec runs a fixture statement under the system scope: the fixture writes the
// rows of several tenants.
func mustExec(t testing.TB, gdb *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := gdb.WithContext(db.WithSystem(context.Background())).Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
