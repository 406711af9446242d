package reports_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srgplatform/srg/app/db"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/portal/reports"
	"github.com/srgplatform/srg/modules/portal/reports/reportstest"
)

var march = reports.Range{From: reportstest.Day("2024-03-01"), To: reportstest.Day("2024-05-01")}

var approx = cmpopts.EquateApprox(0, 1e-9)

// TestReportsAgainstElasticsearch indexes the fixture into a real test index and
// checks every report's sums against the hand-worked values.
func TestReportsAgainstElasticsearch(t *testing.T) {
	e := reportstest.New(t)
	ctx := context.Background()

	t.Run("dashboard", func(t *testing.T) {
		d, err := e.Svc.Dashboard(ctx, reports.DashboardQuery{Tenant: "acme", Range: march, Model: "linear", Compare: []string{"linear", "first_touch"}})
		if err != nil {
			t.Fatal(err)
		}
		checks := []struct {
			name      string
			got, want any
		}{
			// Pipeline: hubspot:1 (created in March) and hubspot:2; hubspot:3 was created in January.
			{"pipeline by channel", d.Pipeline, []reports.Amount{{Name: "Paid Search", Value: 900}, {Name: "Email", Value: 500}}},
			{"pipeline total", d.PipelineTotal, 1400.0},
			// Revenue: hubspot:1, closed in April.
			{"revenue by channel", d.Revenue, []reports.Amount{{Name: "Email", Value: 500}, {Name: "Paid Search", Value: 500}}},
			{"revenue total", d.RevenueTotal, 1000.0},
			{"conversions by channel", d.Leads, []reports.Amount{{Name: "Direct", Value: 0.5}, {Name: "Paid Social", Value: 0.5}}},
			{"conversions total", d.LeadsTotal, 1.0},
			{"top campaigns", d.Campaigns, []reports.CampaignAmount{{Campaign: "brand", Pipeline: 900, Revenue: 500}, {Campaign: "newsletter", Pipeline: 500, Revenue: 500}}},
			{"model comparison", d.Comparison, []reports.ModelRow{{Channel: "Paid Search", Values: []float64{900, 1400}}, {Channel: "Email", Values: []float64{500, 0}}}},
			{"model comparison totals", d.ComparisonTotals, []float64{1400, 1400}},
			{"interval", d.Interval, "day"},
		}
		for _, c := range checks {
			if diff := cmp.Diff(c.want, c.got, approx, cmpopts.SortSlices(func(a, b reports.Amount) bool { return a.Name < b.Name })); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		if len(d.Trend) != march.Days() {
			t.Fatalf("trend has %d points, want one per day: %d", len(d.Trend), march.Days())
		}
		byDay := map[string]reports.TrendPoint{}
		var sumP, sumR float64
		for _, p := range d.Trend {
			byDay[p.Start.Format(time.DateOnly)] = p
			sumP += p.Pipeline
			sumR += p.Revenue
		}
		if byDay["2024-03-05"].Pipeline != 1000 || byDay["2024-03-20"].Pipeline != 400 || byDay["2024-04-10"].Revenue != 1000 || sumP != 1400 || sumR != 1000 {
			t.Errorf("trend: 03-05 %+v, 03-20 %+v, 04-10 %+v, sums %v %v", byDay["2024-03-05"], byDay["2024-03-20"], byDay["2024-04-10"], sumP, sumR)
		}
	})

	t.Run("dashboard of a tenant without credits", func(t *testing.T) {
		d, err := e.Svc.Dashboard(ctx, reports.DashboardQuery{Tenant: "nobody", Range: march, Model: "linear"})
		if err != nil || d.PipelineTotal != 0 || len(d.Pipeline) != 0 {
			t.Fatalf("got %+v, %v", d, err)
		}
		st, err := e.Svc.SetupOf(ctx, "nobody")
		if err != nil || st.HasCredits || st.HasTouchpoints {
			t.Fatalf("setup of an empty tenant: %+v %v", st, err)
		}
		st, err = e.Svc.SetupOf(ctx, "acme")
		if err != nil || !st.HasCredits || !st.HasTouchpoints {
			t.Fatalf("setup of acme: %+v %v", st, err)
		}
	})

	t.Run("campaigns", func(t *testing.T) {
		c, err := e.Svc.Campaigns(ctx, reports.CampaignQuery{Tenant: "acme", TenantID: e.Acme, Range: march, Model: "linear", Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		want := []reports.CampaignRow{
			{Platform: "google_ads", CampaignID: "111", Name: "Brand", Sources: []string{"google"}, Spend: 300, SpendCurrency: "EUR", Clicks: 30, Impressions: 3000,
				Pipeline: 900, Revenue: 500, Opportunities: 2},
			{Name: "newsletter", Sources: []string{"mailchimp"}, Pipeline: 500, Revenue: 500, Opportunities: 1},
			{Name: "launch", Sources: []string{"linkedin"}, Leads: 0.5},
			{Platform: "linkedin_ads", CampaignID: "222", Name: "Prospecting", Spend: 50, SpendCurrency: "USD", Clicks: 5, Impressions: 500},
		}
		if diff := cmp.Diff(want, c.Rows, approx); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		brand := c.Rows[0]
		for name, got := range map[string][2]float64{
			"ROAS":                 {brand.ROAS("EUR"), 500.0 / 300},
			"ROI":                  {brand.ROI("EUR"), 200.0 / 300},
			"cost per opportunity": {brand.CostPerOpportunity(), 150},
		} {
			if math.Abs(got[0]-got[1]) > 1e-9 {
				t.Errorf("%s = %v, want %v", name, got[0], got[1])
			}
		}
		if !math.IsNaN(brand.CostPerLead()) || !math.IsNaN(brand.ROAS("USD")) || !math.IsNaN(c.Rows[1].ROAS("EUR")) || !c.ForeignSpend {
			t.Error("a figure without a denominator, or across currencies, must be NaN (shown as –)")
		}
		if len(c.Platforms) != 3 || c.Platforms[2].Platform != "" || c.Platforms[0].Platform != "google_ads" || c.Platforms[0].Spend != 300 {
			t.Errorf("platforms: %+v", c.Platforms)
		}
		if c.Hidden != 0 || c.RowLimit != 2000 {
			t.Errorf("%d campaigns hidden past %d; want none past 2000", c.Hidden, c.RowLimit)
		}
	})

	// The report sums every campaign and source however many pages they take, and
	// lists as many rows as its limit. A tenant of its own: an opportunity touched by
	// campaigns c1 and c2, another by c1 from a second source, and a lead conversion
	// touched by c3 and by c1 without a source.
	t.Run("campaigns in pages", func(t *testing.T) {
		if err := e.ES.EnsureTenant(ctx, "wide"); err != nil {
			t.Fatal(err)
		}
		var credits []reportstest.Credit
		for i, c := range [][3]string{{"hubspot:w", "c1", "s1"}, {"hubspot:v", "c1", "s2"}, {"hubspot:w", "c2", "s1"}, {"lead:w", "c3", "s1"}, {"lead:w", "c1", ""}} {
			kind := "pipeline"
			if c[0] == "lead:w" {
				kind = "lead"
			}
			credits = append(credits, reportstest.Credit{Opp: c[0], Touch: fmt.Sprint("w", i), Kind: kind, Amount: 100, Channel: "Email",
				Campaign: c[1], Source: c[2], Touched: "2024-03-01T10:00:00Z", Created: "2024-03-05T00:00:00Z", Credit: map[string]float64{"linear": 20}})
		}
		if _, err := e.ES.BulkIndex(ctx, reportstest.CreditDocs("wide", credits)); err != nil {
			t.Fatal(err)
		}
		if err := e.ES.Refresh(ctx, "wide", search.Credits); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { reports.SetCampaignPaging(e.Svc, 0, 0) })
		report := func(page, rows int) reports.Campaigns {
			t.Helper()
			reports.SetCampaignPaging(e.Svc, page, rows)
			c, err := e.Svc.Campaigns(ctx, reports.CampaignQuery{Tenant: "wide", TenantID: e.Fresh, Range: march, Model: "linear", Currency: "USD"})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		all := []reports.CampaignRow{
			{Name: "c1", Sources: []string{"s1", "s2"}, Pipeline: 40, Leads: 20, Opportunities: 2},
			{Name: "c2", Sources: []string{"s1"}, Pipeline: 20, Opportunities: 1},
			{Name: "c3", Sources: []string{"s1"}, Leads: 20},
		}
		// Both opportunities, though c1 and c2 each credited hubspot:w.
		total := reports.PlatformRow{CampaignRow: reports.CampaignRow{Pipeline: 60, Leads: 40, Opportunities: 2}}
		for _, tt := range []struct {
			name       string
			page, rows int
			want       []reports.CampaignRow
			hidden     int
		}{
			{"one page", 0, 0, all, 0},
			// Three campaign and source pairs for the pipeline, two for the leads.
			{"a bucket a page", 1, 0, all, 0},
			{"two buckets a page", 2, 0, all, 0},
			{"as many buckets as the pipeline has", 3, 0, all, 0},
			{"one row listed", 0, 1, all[:1], 2},
			{"paged, two rows listed", 1, 2, all[:2], 1},
			{"as many rows as campaigns", 0, 3, all, 0},
		} {
			c := report(tt.page, tt.rows)
			if diff := cmp.Diff(tt.want, c.Rows, approx); diff != "" {
				t.Errorf("%s: rows (-want +got):\n%s", tt.name, diff)
			}
			if c.Hidden != tt.hidden || cmp.Diff([]reports.PlatformRow{total}, c.Platforms, approx) != "" {
				t.Errorf("%s: %d hidden, platforms %+v; want %d hidden and every campaign in the platform totals", tt.name, c.Hidden, c.Platforms, tt.hidden)
			}
		}
	})

	// An opportunity touched through several pairs of campaign and source of one row,
	// or several rows of one platform, counts once. A tenant of its own: hubspot:w
	// touched by c1 from s1, s2 and s3, by c2 and by c4; hubspot:v by c1 from s2 and
	// s3. c2's pair and c1 from s3 are the ad campaign Spring, so c1 is split
	// between Spring and a row of its own.
	t.Run("campaign opportunities counted once", func(t *testing.T) {
		if err := e.ES.EnsureTenant(ctx, "overlap"); err != nil {
			t.Fatal(err)
		}
		var credits []reportstest.Credit
		for i, c := range [][3]string{{"hubspot:w", "c1", "s1"}, {"hubspot:w", "c1", "s2"}, {"hubspot:w", "c1", "s3"}, {"hubspot:w", "c2", "s1"},
			{"hubspot:w", "c4", "s1"}, {"hubspot:v", "c1", "s2"}, {"hubspot:v", "c1", "s3"}} {
			credits = append(credits, reportstest.Credit{Opp: c[0], Touch: fmt.Sprint("o", i), Kind: "pipeline", Amount: 100, Channel: "Email",
				Campaign: c[1], Source: c[2], Touched: "2024-03-01T10:00:00Z", Created: "2024-03-05T00:00:00Z", Credit: map[string]float64{"linear": 20}})
		}
		if _, err := e.ES.BulkIndex(ctx, reportstest.CreditDocs("overlap", credits)); err != nil {
			t.Fatal(err)
		}
		if err := e.ES.Refresh(ctx, "overlap", search.Credits); err != nil {
			t.Fatal(err)
		}
		spring := reports.CampaignRef{Platform: "linkedin_ads", ID: "333", Name: "Spring"}
		e.Matcher.Refs[reports.CampaignKey{Campaign: "c2", Source: "s1"}] = spring
		e.Matcher.Refs[reports.CampaignKey{Campaign: "c1", Source: "s3"}] = spring
		t.Cleanup(func() {
			delete(e.Matcher.Refs, reports.CampaignKey{Campaign: "c2", Source: "s1"})
			delete(e.Matcher.Refs, reports.CampaignKey{Campaign: "c1", Source: "s3"})
			reports.SetCampaignPaging(e.Svc, 0, 0)
		})
		wantRows := []reports.CampaignRow{
			{Platform: "linkedin_ads", CampaignID: "333", Name: "Spring", Sources: []string{"s1", "s3"}, Pipeline: 60, Opportunities: 2},
			{Name: "c1", Sources: []string{"s1", "s2"}, Pipeline: 60, Opportunities: 2},
			{Name: "c4", Sources: []string{"s1"}, Pipeline: 20, Opportunities: 1},
		}
		wantPlatforms := []reports.PlatformRow{
			{Platform: "linkedin_ads", CampaignRow: reports.CampaignRow{Platform: "linkedin_ads", Pipeline: 60, Opportunities: 2}},
			{CampaignRow: reports.CampaignRow{Pipeline: 80, Opportunities: 2}},
		}
		for _, page := range []int{0, 1} {
			reports.SetCampaignPaging(e.Svc, page, 0)
			c, err := e.Svc.Campaigns(ctx, reports.CampaignQuery{Tenant: "overlap", TenantID: e.Fresh, Range: march, Model: "linear", Currency: "USD"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantRows, c.Rows, approx); diff != "" {
				t.Errorf("pages of %d: rows (-want +got):\n%s", page, diff)
			}
			if diff := cmp.Diff(wantPlatforms, c.Platforms, approx); diff != "" {
				t.Errorf("pages of %d: platforms (-want +got):\n%s", page, diff)
			}
		}
	})

	// Past the 1,024 clauses a bool query takes: 1,100 campaigns, each from source a
	// (the ad campaign G) and b (a row of its own), on one opportunity, which G and the
	// platform of the others each count once.
	t.Run("campaign opportunities of many split campaigns", func(t *testing.T) {
		if err := e.ES.EnsureTenant(ctx, "split"); err != nil {
			t.Fatal(err)
		}
		const n = 1100
		var credits []reportstest.Credit
		for i := range n {
			for _, src := range []string{"a", "b"} {
				credits = append(credits, reportstest.Credit{Opp: "hubspot:s", Touch: fmt.Sprint("s", i, src), Kind: "pipeline", Amount: 100, Channel: "Email",
					Campaign: fmt.Sprint("k", i), Source: src, Touched: "2024-03-01T10:00:00Z", Created: "2024-03-05T00:00:00Z", Credit: map[string]float64{"linear": 1}})
			}
			e.Matcher.Refs[reports.CampaignKey{Campaign: fmt.Sprint("k", i), Source: "a"}] = reports.CampaignRef{Platform: "google_ads", ID: "g", Name: "G"}
		}
		t.Cleanup(func() {
			for i := range n {
				delete(e.Matcher.Refs, reports.CampaignKey{Campaign: fmt.Sprint("k", i), Source: "a"})
			}
		})
		if _, err := e.ES.BulkIndex(ctx, reportstest.CreditDocs("split", credits)); err != nil {
			t.Fatal(err)
		}
		if err := e.ES.Refresh(ctx, "split", search.Credits); err != nil {
			t.Fatal(err)
		}
		c, err := e.Svc.Campaigns(ctx, reports.CampaignQuery{Tenant: "split", TenantID: e.Fresh, Range: march, Model: "linear", Currency: "USD"})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Rows) != n+1 || c.Rows[0].Name != "G" || c.Rows[0].Opportunities != 1 || math.Abs(c.Rows[0].Pipeline-n) > 1e-6 {
			t.Fatalf("%d rows, the first %+v; want %d, G first with %d of pipeline and 1 opportunity", len(c.Rows), c.Rows[0], n+1, n)
		}
		want := []reports.PlatformRow{
			{Platform: "google_ads", CampaignRow: reports.CampaignRow{Platform: "google_ads", Pipeline: n, Opportunities: 1}},
			{CampaignRow: reports.CampaignRow{Pipeline: n, Opportunities: 1}},
		}
		if diff := cmp.Diff(want, c.Platforms, approx); diff != "" {
			t.Errorf("platforms (-want +got):\n%s", diff)
		}
	})

	// The dashboard's top campaigns show what each earned, also a campaign on the top
	// list of one kind only. A tenant of its own: campaigns r0 to r10 each on a won
	// opportunity of 1,000 + 10 i, created and closed in the range, and x on an open
	// one of 100,000 and one of 1 won in the range but created before it: x has the
	// most pipeline and too little revenue for the top ten.
	t.Run("dashboard top campaigns", func(t *testing.T) {
		if err := e.ES.EnsureTenant(ctx, "tops"); err != nil {
			t.Fatal(err)
		}
		won := func(opp, campaign string, amount float64, created string) reportstest.Credit {
			return reportstest.Credit{Opp: opp, Touch: opp + "t", Kind: "revenue", Amount: amount, Channel: "Email", Campaign: campaign,
				Touched: "2024-01-01T10:00:00Z", Created: created, Closed: "2024-03-20T00:00:00Z", Credit: map[string]float64{"linear": amount}}
		}
		var credits []reportstest.Credit
		for i := range 11 {
			credits = append(credits, won(fmt.Sprint("hubspot:r", i), fmt.Sprint("r", i), float64(1000+10*i), "2024-03-05T00:00:00Z"))
		}
		credits = append(credits, won("hubspot:x2", "x", 1, "2024-01-05T00:00:00Z"),
			reportstest.Credit{Opp: "hubspot:x1", Touch: "x1t", Kind: "pipeline", Amount: 100000, Channel: "Email", Campaign: "x",
				Touched: "2024-03-01T10:00:00Z", Created: "2024-03-05T00:00:00Z", Credit: map[string]float64{"linear": 100000}})
		if _, err := e.ES.BulkIndex(ctx, reportstest.CreditDocs("tops", credits)); err != nil {
			t.Fatal(err)
		}
		if err := e.ES.Refresh(ctx, "tops", search.Credits); err != nil {
			t.Fatal(err)
		}
		d, err := e.Svc.Dashboard(ctx, reports.DashboardQuery{Tenant: "tops", Range: march, Model: "linear"})
		if err != nil {
			t.Fatal(err)
		}
		want := []reports.CampaignAmount{{Campaign: "x", Pipeline: 100000, Revenue: 1}}
		for i := 10; i >= 2; i-- {
			want = append(want, reports.CampaignAmount{Campaign: fmt.Sprint("r", i), Pipeline: float64(1000 + 10*i), Revenue: float64(1000 + 10*i)})
		}
		if diff := cmp.Diff(want, d.Campaigns, approx); diff != "" {
			t.Errorf("top campaigns (-want +got):\n%s", diff)
		}
	})

	t.Run("find", func(t *testing.T) {
		f, err := e.Svc.Find(ctx, e.Acme, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if len(f.People) != 2 || len(f.Accounts) != 1 || f.Accounts[0].Name != "Acme Corp" || len(f.Opportunities) != 2 {
			t.Fatalf("found %+v", f)
		}
		f, err = e.Svc.Find(ctx, e.Acme, "other")
		if err != nil || !f.Empty() {
			t.Fatalf("another tenant's rows were found: %+v %v", f, err)
		}
		f, err = e.Svc.Find(ctx, e.Acme, "%")
		if err != nil || !f.Empty() {
			t.Fatalf("%% must match literally: %+v %v", f, err)
		}
	})

	t.Run("opportunity journey", func(t *testing.T) {
		o, tl, err := e.Svc.OpportunityJourney(ctx, "acme", e.Acme, "hubspot:1")
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != "Acme platform deal" || o.AccountName != "Acme Corp" || len(tl.Entries) != 2 {
			t.Fatalf("opportunity %+v, %d entries", o, len(tl.Entries))
		}
		first := tl.Entries[0]
		if first.TouchpointID != "t1" || first.Type != "pageview" || first.ChannelRule != "paid-search-click-id" ||
			first.Credits["linear"] != 500 || first.Credits["first_touch"] != 1000 || first.Fractions["linear"] != 0.5 {
			t.Errorf("first entry %+v", first)
		}
		if tl.Totals["linear"] != 1000 || tl.Totals["first_touch"] != 1000 {
			t.Errorf("totals %v", tl.Totals)
		}
	})

	t.Run("person journey", func(t *testing.T) {
		p, tl, err := e.Svc.PersonJourney(ctx, "acme", e.Acme, "2")
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != "bob@acme.example" || len(tl.Entries) != 2 || tl.Entries[0].TouchpointID != "t4" || tl.Entries[1].Credits["linear"] != 400 {
			t.Fatalf("person %+v timeline %+v", p, tl)
		}
	})

	t.Run("account journey", func(t *testing.T) {
		a, people, tl, err := e.Svc.AccountJourney(ctx, "acme", e.Acme, "1")
		if err != nil {
			t.Fatal(err)
		}
		if a.Domain != "acme.example" || len(people) != 2 || len(tl.Entries) != 4 || tl.Totals["linear"] != 1600 {
			t.Fatalf("account %+v people %d timeline %+v", a, len(people), tl)
		}
	})

	t.Run("another tenant's ids are not found", func(t *testing.T) {
		for name, call := range map[string]func() error{
			"person":      func() error { _, _, err := e.Svc.PersonJourney(ctx, "acme", e.Acme, "4"); return err },
			"account":     func() error { _, _, _, err := e.Svc.AccountJourney(ctx, "acme", e.Acme, "2"); return err },
			"opportunity": func() error { _, _, err := e.Svc.OpportunityJourney(ctx, "acme", e.Acme, "hubspot:9"); return err },
			"bad id":      func() error { _, _, err := e.Svc.PersonJourney(ctx, "acme", e.Acme, "x"); return err },
			"bad opp id":  func() error { _, _, err := e.Svc.OpportunityJourney(ctx, "acme", e.Acme, "nocolon"); return err },
		} {
			if err := call(); errs.KindOf(err) != errs.KindNotFound {
				t.Errorf("%s: got %v, want not found", name, err)
			}
		}
	})

	// The database enforces it too: under acme's scope, as acme's requests run, other's
	// rows stay out of reach even when the service is handed other's id.
	t.Run("acme's scope cannot reach another tenant's rows", func(t *testing.T) {
		for name, call := range map[string]func(context.Context) error{
			"person": func(ctx context.Context) error {
				_, _, err := e.Svc.PersonJourney(ctx, "other", e.Other, "4")
				return err
			},
			"account": func(ctx context.Context) error {
				_, _, _, err := e.Svc.AccountJourney(ctx, "other", e.Other, "2")
				return err
			},
			"opportunity": func(ctx context.Context) error {
				_, _, err := e.Svc.OpportunityJourney(ctx, "other", e.Other, "hubspot:9")
				return err
			},
			"find": func(ctx context.Context) error {
				f, err := e.Svc.Find(ctx, e.Other, "other")
				if err == nil && f.Empty() {
					return errs.NotFound("nothing found")
				}
				return err
			},
		} {
			if err := call(ctx); err != nil {
				t.Errorf("%s: %v under other's own scope, want it found", name, err)
			}
			if err := call(db.WithTenant(ctx, e.Acme)); errs.KindOf(err) != errs.KindNotFound {
				t.Errorf("%s: got %v under acme's scope, want not found", name, err)
			}
		}
	})

	t.Run("touchpoints", func(t *testing.T) {
		all := reports.TouchpointFilter{Range: reports.Range{From: reportstest.Day("2024-01-01"), To: reportstest.Day("2024-05-01")}}
		tests := []struct {
			name   string
			filter func(f reports.TouchpointFilter) reports.TouchpointFilter
			want   []string
		}{
			{"everything, newest first", func(f reports.TouchpointFilter) reports.TouchpointFilter { return f }, []string{"t3", "t7", "t6", "t5", "t2", "t1", "t4"}},
			{"channel", func(f reports.TouchpointFilter) reports.TouchpointFilter { f.Channel = "Paid Search"; return f }, []string{"t3", "t1"}},
			{"type", func(f reports.TouchpointFilter) reports.TouchpointFilter { f.Type = "form"; return f }, []string{"t2"}},
			{"campaign", func(f reports.TouchpointFilter) reports.TouchpointFilter { f.Campaign = "launch"; return f }, []string{"t5"}},
			{"url text, any case", func(f reports.TouchpointFilter) reports.TouchpointFilter { f.URL = "PRICING"; return f }, []string{"t1"}},
			{"url text with a wildcard character", func(f reports.TouchpointFilter) reports.TouchpointFilter { f.URL = "*"; return f }, nil},
			{"range", func(f reports.TouchpointFilter) reports.TouchpointFilter {
				f.Range = reports.Range{From: reportstest.Day("2024-01-01"), To: reportstest.Day("2024-02-01")}
				return f
			}, []string{"t4"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				page, err := e.Svc.Touchpoints(ctx, "acme", tc.filter(all), 1)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, tp := range page.Touchpoints {
					got = append(got, tp.EventID)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" || page.Total != int64(len(tc.want)) {
					t.Errorf("total %d (-want +got):\n%s", page.Total, diff)
				}
			})
		}
	})

	t.Run("csv export", func(t *testing.T) {
		var b strings.Builder
		n, err := e.Svc.ExportTouchpoints(ctx, "acme", reports.TouchpointFilter{Range: reports.Range{From: reportstest.Day("2024-01-01"), To: reportstest.Day("2024-05-01")}, Channel: "Paid Search"}, &b)
		if err != nil || n != 2 {
			t.Fatalf("exported %d rows, %v", n, err)
		}
		rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0][0] != "event_id" || rows[1][0] != "t3" || rows[2][0] != "t1" {
			t.Fatalf("csv %q", rows)
		}
		if rows[1][5] != "https://acme.example/features" || rows[1][6] != `'=HYPERLINK("https://evil.example")` {
			t.Errorf("url %q and referrer %q: a formula must be defused, nothing else changed", rows[1][5], rows[1][6])
		}
	})
}

func TestParseInput(t *testing.T) {
	now := reportstest.At("2024-06-15T13:00:00Z")
	tests := []struct {
		name      string
		from, to  string
		wantErr   string
		wantRange reports.Range
	}{
		{"defaults to the last 90 days", "", "", "", reports.Range{From: reportstest.Day("2024-03-18"), To: reportstest.Day("2024-06-16")}},
		{"explicit, end inclusive", "2024-01-01", "2024-01-31", "", reports.Range{From: reportstest.Day("2024-01-01"), To: reportstest.Day("2024-02-01")}},
		{"bad start", "2024-13-01", "", "start date", reports.Range{}},
		{"bad end", "", "yesterday", "end date", reports.Range{}},
		{"reversed", "2024-02-01", "2024-01-01", "must not be after", reports.Range{}},
		{"too long", "2018-01-01", "2024-01-01", "three years", reports.Range{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := reports.ParseRange(tc.from, tc.to, now)
			if tc.wantErr != "" {
				if errs.KindOf(err) != errs.KindInvalid || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an invalid-input error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || r != tc.wantRange {
				t.Fatalf("got %+v %v, want %+v", r, err, tc.wantRange)
			}
		})
	}
	for _, bad := range []string{"0", "-1", "x", "1.5", "201"} {
		if _, err := reports.ParsePage(bad); errs.KindOf(err) != errs.KindInvalid {
			t.Errorf("page %q: %v, want invalid", bad, err)
		}
	}
	models := reports.Models{All: []string{"linear", "markov"}, On: []string{"linear"}, Default: "linear"}
	for name, tc := range map[string]struct{ in, want, err string }{
		"default": {"", "linear", ""}, "on": {"linear", "linear", ""},
		"off": {"markov", "", "not computed"}, "unknown": {"magic", "", "unknown attribution model"},
	} {
		got, err := models.Pick(tc.in)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: Pick(%q) = %q, %v", name, tc.in, got, err)
		}
	}
}
