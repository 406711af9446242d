package campaigns_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/sync/campaigns"
)

func newTenant(t *testing.T, db *gorm.DB, slug string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(`INSERT INTO tenants (slug, name) VALUES (?, ?) RETURNING id`, slug, slug).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// exec writes fixtures of any tenant.
func exec(t *testing.T, db *gorm.DB, q string, args ...any) {
	t.Helper()
	if err := apptest.System(db).Exec(q, args...).Error; err != nil {
		t.Fatal(err)
	}
}

func mappings(t *testing.T, db *gorm.DB, tenant int64) []campaigns.Mapping {
	t.Helper()
	stored, err := campaigns.ListMappings(context.Background(), db, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var out []campaigns.Mapping
	for _, s := range stored {
		if s.CreatedAt.IsZero() {
			t.Errorf("mapping %+v has no creation time", s)
		}
		out = append(out, s.Mapping)
	}
	return out
}

func TestMappingStore(t *testing.T) {
	ctx := context.Background()
	db := apptest.DB(t, apptest.Config(t))
	acme, other := newTenant(t, db, "acme"), newTenant(t, db, "globex")

	invalid := []struct {
		name                           string
		key, value, platform, campaign string
		field                          string
	}{
		{"unknown key", "utm_source", "google", "google_ads", "1", "utm_key"},
		{"empty key", "", "x", "google_ads", "1", "utm_key"},
		{"blank value", "utm_campaign", "  ", "google_ads", "1", "utm_value"},
		{"value too long", "utm_id", strings.Repeat("é", 257), "google_ads", "1", "utm_value"},
		{"value not UTF-8", "utm_id", "a\xffb", "google_ads", "1", "utm_value"},
		{"blank platform", "utm_id", "x", " ", "1", "platform"},
		{"odd platform", "utm_id", "x", "Google Ads", "1", "platform"},
		{"blank campaign", "utm_id", "x", "google_ads", "", "campaign_id"},
		{"campaign too long", "utm_id", "x", "google_ads", strings.Repeat("1", 256), "campaign_id"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			err := campaigns.SetMapping(ctx, db, acme, tt.key, tt.value, tt.platform, tt.campaign)
			if errs.KindOf(err) != errs.KindInvalid || errs.FieldOf(err) != tt.field {
				t.Errorf("err = %v (field %q), want invalid %s", err, errs.FieldOf(err), tt.field)
			}
		})
	}
	if got := mappings(t, db, acme); len(got) != 0 {
		t.Fatalf("invalid mappings were stored: %+v", got)
	}

	sets := [][4]string{
		{"utm_campaign", "  spring   sale ", "google_ads", "1"},
		{"utm_id", " ABC ", "meta_ads", "2"},
		{"utm_id", "abc", "meta_ads", "3"},
		// Replaces "spring sale": names match ignoring case.
		{"utm_campaign", "Spring Sale", "linkedin_ads", "4"},
		{"utm_campaign", "webinar", "salesforce", "701"},
	}
	for _, s := range sets {
		if err := campaigns.SetMapping(ctx, db, acme, s[0], s[1], s[2], s[3]); err != nil {
			t.Fatalf("set %v: %v", s, err)
		}
	}
	if err := campaigns.SetMapping(ctx, db, other, "utm_campaign", "webinar", "hubspot", "9"); err != nil {
		t.Fatal(err)
	}
	want := []campaigns.Mapping{
		{UTMKey: "utm_campaign", UTMValue: "Spring Sale", Platform: "linkedin_ads", CampaignID: "4"},
		{UTMKey: "utm_campaign", UTMValue: "webinar", Platform: "salesforce", CampaignID: "701"},
		{UTMKey: "utm_id", UTMValue: "ABC", Platform: "meta_ads", CampaignID: "2"},
		{UTMKey: "utm_id", UTMValue: "abc", Platform: "meta_ads", CampaignID: "3"},
	}
	if diff := cmp.Diff(want, mappings(t, db, acme)); diff != "" {
		t.Fatalf("mappings (-want +got):\n%s", diff)
	}

	deletes := []struct {
		key, value string
		kind       errs.Kind
	}{
		{"utm_campaign", "SPRING  SALE", ""},
		{"utm_campaign", "spring sale", errs.KindNotFound},
		{"utm_id", "Abc", errs.KindNotFound},
		{"utm_id", " abc ", ""},
		{"utm_term", "x", errs.KindInvalid},
	}
	for _, d := range deletes {
		err := campaigns.DeleteMapping(ctx, db, acme, d.key, d.value)
		if (err == nil) != (d.kind == "") || (err != nil && errs.KindOf(err) != d.kind) {
			t.Errorf("delete %s %q: %v, want %q", d.key, d.value, err, d.kind)
		}
	}
	want = []campaigns.Mapping{
		{UTMKey: "utm_campaign", UTMValue: "webinar", Platform: "salesforce", CampaignID: "701"},
		{UTMKey: "utm_id", UTMValue: "ABC", Platform: "meta_ads", CampaignID: "2"},
	}
	if diff := cmp.Diff(want, mappings(t, db, acme)); diff != "" {
		t.Errorf("mappings after deletes (-want +got):\n%s", diff)
	}
	if got := mappings(t, db, other); len(got) != 1 || got[0].CampaignID != "9" {
		t.Errorf("the other tenant's mappings changed: %+v", got)
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	db := apptest.DB(t, apptest.Config(t))
	acme, other := newTenant(t, db, "acme"), newTenant(t, db, "globex")

	spend := `INSERT INTO ad_spend_daily (tenant_id, platform, account_id, campaign_id, campaign_name, day, spend) VALUES (?, ?, ?, ?, ?, ?, 1)`
	exec(t, db, spend, acme, "google_ads", "10", "111", "Webinar Q2", "2024-04-01")
	exec(t, db, spend, acme, "google_ads", "10", "111", "Webinar Q2", "2024-04-02")
	exec(t, db, spend, acme, "google_ads", "10", "111", "Webinar Q3", "2024-07-01")
	exec(t, db, spend, acme, "google_ads", "10", "111", "Webinar Q1", "2024-01-01")
	exec(t, db, spend, acme, "linkedin_ads", "20", "222", "Spring Sale", "2024-03-01")
	exec(t, db, spend, acme, "meta_ads", "30", "333", "Spring Sale", "2024-03-01")
	exec(t, db, spend, other, "google_ads", "40", "444", "Only Globex", "2024-03-01")

	crm := `INSERT INTO crm_campaigns (tenant_id, source, external_id, name, deleted) VALUES (?, ?, ?, ?, ?)`
	exec(t, db, crm, acme, "salesforce", "701000000000001AAA", "Trade Show", false)
	exec(t, db, crm, acme, "salesforce", "701000000000002AAA", "Old Show", true)
	exec(t, db, crm, other, "hubspot", "h1", "Globex Event", false)

	if err := campaigns.SetMapping(ctx, db, acme, "utm_campaign", "trade_show_24", "salesforce", "701000000000001AAA"); err != nil {
		t.Fatal(err)
	}
	if err := campaigns.SetMapping(ctx, db, other, "utm_campaign", "spring sale", "meta_ads", "333"); err != nil {
		t.Fatal(err)
	}

	m, err := campaigns.Load(ctx, db, acme)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		touch campaigns.Touch
		want  *campaigns.Match
	}{
		{campaigns.Touch{UTMCampaign: "webinar q1"}, &campaigns.Match{Platform: "google_ads", CampaignID: "111", CampaignName: "Webinar Q3", By: "utm_campaign"}},
		{campaigns.Touch{UTMID: "111"}, &campaigns.Match{Platform: "google_ads", CampaignID: "111", CampaignName: "Webinar Q3", By: "utm_id"}},
		{campaigns.Touch{UTMCampaign: "Spring Sale"}, nil},
		{campaigns.Touch{UTMCampaign: "Spring Sale", UTMSource: "instagram"}, &campaigns.Match{Platform: "meta_ads", CampaignID: "333", CampaignName: "Spring Sale", By: "utm_campaign"}},
		{campaigns.Touch{UTMCampaign: "TRADE_SHOW_24"}, &campaigns.Match{Platform: "salesforce", CampaignID: "701000000000001AAA", CampaignName: "Trade Show", By: "mapping"}},
		{campaigns.Touch{UTMCampaign: "trade show"}, &campaigns.Match{Platform: "salesforce", CampaignID: "701000000000001AAA", CampaignName: "Trade Show", By: "utm_campaign"}},
		{campaigns.Touch{UTMCampaign: "old show"}, nil},
		{campaigns.Touch{UTMCampaign: "only globex"}, nil},
		{campaigns.Touch{UTMCampaign: "globex event"}, nil},
	}
	for _, tt := range tests {
		got, ok := m.Match(tt.touch)
		switch {
		case tt.want == nil && ok:
			t.Errorf("%+v: matched %+v, want none", tt.touch, got)
		case tt.want != nil && !ok:
			t.Errorf("%+v: no match, want %+v", tt.touch, *tt.want)
		case tt.want != nil && *tt.want != got:
			t.Errorf("%+v: matched %+v, want %+v", tt.touch, got, *tt.want)
		}
	}
}
