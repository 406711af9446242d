package reports_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srgplatform/srg/app/search"
	"github.com/srgplatform/srg/modules/portal/reports"
	"github.com/srgplatform/srg/modules/portal/reports/reportstest"
)

var june = reports.Range{From: reportstest.Day("2023-06-01"), To: reportstest.Day("2023-07-01")}

// severalTouches adds, in June 2023, won opportunity hubspot:20 (900) after four
// touches of two people of two accounts on three channels (two of them at the same
// time), listed out of order; open opportunity hubspot:21 (300), credited to one of
// those touchpoints too; and a lead conversion credited to another.
func severalTouches(t *testing.T, e *reportstest.Env) {
	t.Helper()
	e.Exec(t, `INSERT INTO accounts (id, tenant_id, domain, name) VALUES (3, ?, 'multi.example', ''), (4, ?, 'solo.example', '')`, e.Acme, e.Acme)
	e.Exec(t, `INSERT INTO people (id, tenant_id, email, account_id, first_seen_at, last_seen_at) VALUES
		(5, ?, 'dee@multi.example', 3, '2023-06-01', '2023-06-03'),
		(6, ?, 'eve@solo.example', 4, '2023-06-02', '2023-06-02')`, e.Acme, e.Acme)
	e.Exec(t, `INSERT INTO crm_opportunities (tenant_id, source, external_id, name, account_external_id, amount, currency, stage, is_won, is_closed, created_date, close_date) VALUES
		(?, 'hubspot', '20', 'Multi deal', '', 900, 'USD', 'closedwon', true, true, '2023-06-10', '2023-06-20'),
		(?, 'hubspot', '21', 'Multi expansion', '', 300, 'USD', 'proposal', false, false, '2023-06-15', NULL)`, e.Acme, e.Acme)
	won := reportstest.Credit{Opp: "hubspot:20", Kind: "revenue", Amount: 900, Created: "2023-06-10T00:00:00Z", Closed: "2023-06-20T00:00:00Z"}
	open := reportstest.Credit{Opp: "hubspot:21", Kind: "pipeline", Amount: 300, Created: "2023-06-15T00:00:00Z"}
	lead := reportstest.Credit{Opp: "lead:5", Kind: "lead", Amount: 1, Created: "2023-06-05T00:00:00Z"}
	touch := func(opp reportstest.Credit, id, person, account, channel, campaign, source, at string, credit map[string]float64) reportstest.Credit {
		opp.Touch, opp.Person, opp.Account, opp.Channel, opp.Campaign, opp.Source, opp.Touched, opp.Credit = id, person, account, channel, campaign, source, at, credit
		return opp
	}
	credits := []reportstest.Credit{
		touch(won, "u3", "5", "3", "Paid Search", "brand", "google", "2023-06-03T10:00:00Z", map[string]float64{"linear": 225}),
		touch(won, "u2", "6", "4", "Email", "newsletter", "mailchimp", "2023-06-02T10:00:00Z", map[string]float64{"linear": 225}),
		touch(won, "u0", "6", "4", "Direct", "", "", "2023-06-02T10:00:00Z", map[string]float64{"linear": 225}),
		touch(won, "u1", "5", "3", "Paid Search", "brand", "google", "2023-06-01T10:00:00Z", map[string]float64{"linear": 225, "first_touch": 900}),
		touch(open, "u3", "5", "3", "Paid Search", "brand", "google", "2023-06-03T10:00:00Z", map[string]float64{"linear": 300, "first_touch": 300}),
		touch(lead, "u1", "5", "3", "Paid Search", "brand", "google", "2023-06-01T10:00:00Z", map[string]float64{"linear": 1, "first_touch": 1}),
	}
	docs := reportstest.CreditDocs("acme", credits)
	for _, tp := range []struct{ id, person, account, at string }{
		{"u0", "6", "4", "2023-06-02T10:00:00Z"}, {"u1", "5", "3", "2023-06-01T10:00:00Z"},
		{"u2", "6", "4", "2023-06-02T10:00:00Z"}, {"u3", "5", "3", "2023-06-03T10:00:00Z"},
	} {
		docs = append(docs, search.Doc{Tenant: "acme", Kind: search.Touchpoints, ID: tp.id, Source: []byte(fmt.Sprintf(
			`{"event_id":%q,"tenant":"acme","type":"pageview","occurred_at":%q,"person_id":%q,"account_id":%q,"url":"https://acme.example/","is_bot":false}`,
			tp.id, tp.at, tp.person, tp.account))})
	}
	e.Index(t, docs)
}

// journeyEntry is what a test checks of a timeline entry.
type journeyEntry struct {
	Touchpoint, Person string
	Credits            map[string]float64
	Opportunities      []string
}

func journeyEntries(tl reports.Timeline) []journeyEntry {
	var out []journeyEntry
	for _, e := range tl.Entries {
		out = append(out, journeyEntry{e.TouchpointID, e.PersonID, e.Credits, e.Opportunities})
	}
	return out
}

// TestOpportunitiesWithSeveralTouches checks that each figure counts every touch of
// an opportunity on its own channel, campaign and person, and each opportunity once.
func TestOpportunitiesWithSeveralTouches(t *testing.T) {
	e := reportstest.New(t)
	severalTouches(t, e)
	ctx := context.Background()

	t.Run("dashboard", func(t *testing.T) {
		d, err := e.Svc.Dashboard(ctx, reports.DashboardQuery{Tenant: "acme", Range: june, Model: "linear", Compare: []string{"linear", "first_touch"}})
		if err != nil {
			t.Fatal(err)
		}
		checks := []struct {
			name      string
			got, want any
		}{
			{"pipeline by channel", d.Pipeline, []reports.Amount{{Name: "Paid Search", Value: 750}, {Name: "Direct", Value: 225}, {Name: "Email", Value: 225}}},
			{"pipeline total", d.PipelineTotal, 1200.0},
			{"revenue by channel", d.Revenue, []reports.Amount{{Name: "Paid Search", Value: 450}, {Name: "Direct", Value: 225}, {Name: "Email", Value: 225}}},
			{"revenue total", d.RevenueTotal, 900.0},
			{"conversions by channel", d.Leads, []reports.Amount{{Name: "Paid Search", Value: 1}}},
			{"conversions total", d.LeadsTotal, 1.0},
			{"top campaigns", d.Campaigns, []reports.CampaignAmount{{Campaign: "brand", Pipeline: 750, Revenue: 450}, {Campaign: "newsletter", Pipeline: 225, Revenue: 225}}},
			{"model comparison", d.Comparison, []reports.ModelRow{
				{Channel: "Paid Search", Values: []float64{750, 1200}}, {Channel: "Direct", Values: []float64{225, 0}}, {Channel: "Email", Values: []float64{225, 0}}}},
			{"model comparison totals", d.ComparisonTotals, []float64{1200, 1200}},
		}
		for _, c := range checks {
			if diff := cmp.Diff(c.want, c.got, approx, cmpopts.SortSlices(func(a, b reports.Amount) bool { return a.Name < b.Name })); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		trend := map[string]reports.TrendPoint{}
		for _, p := range d.Trend {
			if p.Pipeline != 0 || p.Revenue != 0 {
				trend[p.Start.Format(time.DateOnly)] = p
			}
		}
		want := map[string]reports.TrendPoint{
			"2023-06-10": {Start: reportstest.Day("2023-06-10"), Pipeline: 900},
			"2023-06-15": {Start: reportstest.Day("2023-06-15"), Pipeline: 300},
			"2023-06-20": {Start: reportstest.Day("2023-06-20"), Revenue: 900},
		}
		if diff := cmp.Diff(want, trend); diff != "" || len(d.Trend) != june.Days() {
			t.Errorf("trend of %d points (-want +got):\n%s", len(d.Trend), diff)
		}
	})

	t.Run("campaigns count each opportunity once", func(t *testing.T) {
		c, err := e.Svc.Campaigns(ctx, reports.CampaignQuery{Tenant: "acme", TenantID: e.Acme, Range: june, Model: "linear", Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		want := []reports.CampaignRow{
			{Platform: "google_ads", CampaignID: "111", Name: "Brand", Sources: []string{"google"}, Pipeline: 750, Revenue: 450, Leads: 1, Opportunities: 2},
			{Name: "newsletter", Sources: []string{"mailchimp"}, Pipeline: 225, Revenue: 225, Opportunities: 1},
		}
		if diff := cmp.Diff(want, c.Rows, approx); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})

	t.Run("opportunity journey lists every touch in touch order", func(t *testing.T) {
		_, tl, err := e.Svc.OpportunityJourney(ctx, "acme", e.Acme, "hubspot:20")
		if err != nil {
			t.Fatal(err)
		}
		opp := []string{"hubspot:20"}
		want := []journeyEntry{
			{"u1", "5", map[string]float64{"linear": 225, "first_touch": 900}, opp},
			{"u0", "6", map[string]float64{"linear": 225}, opp},
			{"u2", "6", map[string]float64{"linear": 225}, opp},
			{"u3", "5", map[string]float64{"linear": 225}, opp},
		}
		if diff := cmp.Diff(want, journeyEntries(tl)); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]float64{"linear": 900, "first_touch": 900}, tl.Totals); diff != "" || tl.Entries[3].Fractions["linear"] != 0.25 {
			t.Errorf("fraction %v, totals (-want +got):\n%s", tl.Entries[3].Fractions, diff)
		}
	})

	both := []string{"hubspot:20", "hubspot:21"}
	dee := []journeyEntry{
		{"u1", "5", map[string]float64{"linear": 225, "first_touch": 900}, []string{"hubspot:20"}},
		{"u3", "5", map[string]float64{"linear": 525, "first_touch": 300}, both},
	}
	eve := []journeyEntry{
		{"u0", "6", map[string]float64{"linear": 225}, []string{"hubspot:20"}},
		{"u2", "6", map[string]float64{"linear": 225}, []string{"hubspot:20"}},
	}
	deeTotals, eveTotals := map[string]float64{"linear": 750, "first_touch": 1200}, map[string]float64{"linear": 450}
	tests := []struct {
		name       string
		journey    func() (reports.Timeline, error)
		want       []journeyEntry
		wantTotals map[string]float64
	}{
		{"person with touches on two opportunities", func() (reports.Timeline, error) {
			_, tl, err := e.Svc.PersonJourney(ctx, "acme", e.Acme, "5")
			return tl, err
		}, dee, deeTotals},
		{"person sharing an opportunity", func() (reports.Timeline, error) {
			_, tl, err := e.Svc.PersonJourney(ctx, "acme", e.Acme, "6")
			return tl, err
		}, eve, eveTotals},
		{"account", func() (reports.Timeline, error) {
			_, _, tl, err := e.Svc.AccountJourney(ctx, "acme", e.Acme, "3")
			return tl, err
		}, dee, deeTotals},
		{"account sharing an opportunity", func() (reports.Timeline, error) {
			_, _, tl, err := e.Svc.AccountJourney(ctx, "acme", e.Acme, "4")
			return tl, err
		}, eve, eveTotals},
	}
	for _, tc := range tests {
		t.Run(tc.name+" journey keeps only its own touches", func(t *testing.T) {
			tl, err := tc.journey()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, journeyEntries(tl)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTotals, tl.Totals); diff != "" {
				t.Errorf("totals (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJourneyReadsTheFirstCredits checks that a journey sums the first 10,000
// credits in touch order (time, touchpoint, opportunity) over several
// opportunities: three whose touches interleave, with ties on the time, a fourth
// whose first touch is among them, and a fifth entirely after.
func TestJourneyReadsTheFirstCredits(t *testing.T) {
	e := reportstest.New(t)
	e.Exec(t, `INSERT INTO people (id, tenant_id, email, first_seen_at, last_seen_at) VALUES (7, ?, 'fay@many.example', '2023-06-01', '2023-06-02')`, e.Acme)
	base := reportstest.At("2023-06-01T00:00:00Z")
	at := func(d time.Duration) string { return base.Add(d).Format(time.RFC3339) }
	type touch struct {
		at, id, opp string
		linear      float64
	}
	var touches []touch
	for j := range 21000 {
		touches = append(touches, touch{at(time.Duration(j/3) * time.Second), fmt.Sprintf("k%05d-%d", j/3, 2-j%3), fmt.Sprintf("cap:%d", j%3), float64(j%7 + 1)})
	}
	touches = append(touches, touch{at(time.Second), "m0", "cap:mid", 100})
	for i := range 500 {
		touches = append(touches, touch{at(time.Duration(8000+i) * time.Second), fmt.Sprintf("m%03d", i+1), "cap:mid", 1000})
		touches = append(touches, touch{at(24*time.Hour + time.Duration(i)*time.Second), fmt.Sprintf("z%03d", i), "cap:late", 1000})
	}
	var credits []reportstest.Credit
	for _, tc := range touches {
		credits = append(credits, reportstest.Credit{Opp: tc.opp, Touch: tc.id, Person: "7", Kind: "pipeline", Amount: 1e6, Channel: "Direct",
			Touched: tc.at, Created: "2023-06-10T00:00:00Z", Credit: map[string]float64{"linear": tc.linear}})
	}
	e.Index(t, reportstest.CreditDocs("acme", credits))

	slices.SortFunc(touches, func(a, b touch) int {
		for _, c := range []int{strings.Compare(a.at, b.at), strings.Compare(a.id, b.id), strings.Compare(a.opp, b.opp)} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
	var want float64
	for _, tc := range touches[:10000] {
		want += tc.linear
	}
	_, tl, err := e.Svc.PersonJourney(context.Background(), "acme", e.Acme, "7")
	if err != nil {
		t.Fatal(err)
	}
	if got := tl.Totals["linear"]; got != want {
		t.Errorf("total of the first 10,000 credits: %v, want %v", got, want)
	}
}
