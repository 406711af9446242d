package campaigns_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/campaigns"
)

var testCampaigns = []campaigns.Campaign{
	{Platform: "google_ads", ID: "111", Name: "Spring Sale"},
	{Platform: "linkedin_ads", ID: "222", Name: "spring sale"},
	{Platform: "meta_ads", ID: "333", Name: "Retargeting"},
	{Platform: "google_ads", ID: "444", Name: "Brand Search"},
	// Renamed: the first listing is the current name.
	{Platform: "google_ads", ID: "555", Name: "Webinar Q3"},
	{Platform: "google_ads", ID: "555", Name: "Webinar Q2"},
	// The same id on two platforms.
	{Platform: "meta_ads", ID: "777", Name: "Meta 777"},
	{Platform: "linkedin_ads", ID: "777", Name: "LinkedIn 777"},
	// Two campaigns of one name on one platform.
	{Platform: "google_ads", ID: "888", Name: "Generic"},
	{Platform: "google_ads", ID: "889", Name: "generic"},
	{Platform: "linkedin_ads", ID: "890", Name: "Generic"},
	{Platform: "salesforce", ID: "7015g000000AbCdAAK", Name: "Trade Show"},
	{Platform: "hubspot", ID: "hs-1", Name: "Retargeting"},
	{Platform: "google_ads", ID: "999", Name: ""},
}

var testMappings = []campaigns.Mapping{
	{UTMKey: "utm_id", UTMValue: "abc", Platform: "meta_ads", CampaignID: "333"},
	{UTMKey: "utm_campaign", UTMValue: "Spring_Sale_2024", Platform: "google_ads", CampaignID: "111"},
	{UTMKey: "utm_campaign", UTMValue: "future", Platform: "linkedin_ads", CampaignID: "not-synced-yet"},
	{UTMKey: "utm_id", UTMValue: "111", Platform: "linkedin_ads", CampaignID: "222"},
	{UTMKey: "utm_medium", UTMValue: "cpc", Platform: "google_ads", CampaignID: "444"},
}

func TestMatch(t *testing.T) {
	m := campaigns.NewMatcher(testCampaigns, testMappings)
	tests := []struct {
		name  string
		touch campaigns.Touch
		want  *campaigns.Match
	}{
		{"nothing", campaigns.Touch{}, nil},
		{"only a click id", campaigns.Touch{ClickIDType: "gclid", UTMSource: "google"}, nil},
		{"utm_id mapping beats everything",
			campaigns.Touch{UTMID: " abc ", UTMCampaign: "spring_sale_2024"},
			&campaigns.Match{Platform: "meta_ads", CampaignID: "333", CampaignName: "Retargeting", By: "mapping"}},
		{"utm_id mapping beats a campaign with that id",
			campaigns.Touch{UTMID: "111"},
			&campaigns.Match{Platform: "linkedin_ads", CampaignID: "222", CampaignName: "spring sale", By: "mapping"}},
		{"utm_campaign mapping ignores case and spacing",
			campaigns.Touch{UTMCampaign: "  SPRING_sale_2024 ", UTMID: "444"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "111", CampaignName: "Spring Sale", By: "mapping"}},
		{"mapping to a campaign not loaded",
			campaigns.Touch{UTMCampaign: "future"},
			&campaigns.Match{Platform: "linkedin_ads", CampaignID: "not-synced-yet", By: "mapping"}},
		{"mappings of other keys are ignored",
			campaigns.Touch{UTMCampaign: "cpc"}, nil},
		{"utm_id is a campaign id",
			campaigns.Touch{UTMID: "444", UTMCampaign: "Spring Sale"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "444", CampaignName: "Brand Search", By: "utm_id"}},
		{"utm_id is a campaign without a name",
			campaigns.Touch{UTMID: "999"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "999", By: "utm_id"}},
		{"utm_id on two platforms, click id decides",
			campaigns.Touch{UTMID: "777", ClickIDType: "li_fat_id"},
			&campaigns.Match{Platform: "linkedin_ads", CampaignID: "777", CampaignName: "LinkedIn 777", By: "utm_id"}},
		{"utm_id on two platforms, utm_source decides",
			campaigns.Touch{UTMID: "777", UTMSource: "Facebook"},
			&campaigns.Match{Platform: "meta_ads", CampaignID: "777", CampaignName: "Meta 777", By: "utm_id"}},
		{"ambiguous utm_id falls back to utm_campaign",
			campaigns.Touch{UTMID: "777", UTMCampaign: "brand search"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "444", CampaignName: "Brand Search", By: "utm_campaign"}},
		{"ambiguous utm_id alone", campaigns.Touch{UTMID: "777"}, nil},
		{"utm_id ids are case-sensitive", campaigns.Touch{UTMID: "HS-1"}, nil},
		{"salesforce 15-character id",
			campaigns.Touch{UTMID: "7015g000000AbCd"},
			&campaigns.Match{Platform: "salesforce", CampaignID: "7015g000000AbCdAAK", CampaignName: "Trade Show", By: "utm_id"}},
		{"name ignores case and spacing",
			campaigns.Touch{UTMCampaign: "  brand   SEARCH "},
			&campaigns.Match{Platform: "google_ads", CampaignID: "444", CampaignName: "Brand Search", By: "utm_campaign"}},
		{"old name of a renamed campaign",
			campaigns.Touch{UTMCampaign: "webinar q2"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "555", CampaignName: "Webinar Q3", By: "utm_campaign"}},
		{"name on two platforms without a hint", campaigns.Touch{UTMCampaign: "Spring Sale"}, nil},
		{"name on two platforms, gclid",
			campaigns.Touch{UTMCampaign: "Spring Sale", ClickIDType: "gclid"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "111", CampaignName: "Spring Sale", By: "utm_campaign"}},
		{"name on two platforms, wbraid",
			campaigns.Touch{UTMCampaign: "Spring Sale", ClickIDType: "wbraid"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "111", CampaignName: "Spring Sale", By: "utm_campaign"}},
		{"name on two platforms, utm_source",
			campaigns.Touch{UTMCampaign: "Spring Sale", UTMSource: " LinkedIn "},
			&campaigns.Match{Platform: "linkedin_ads", CampaignID: "222", CampaignName: "spring sale", By: "utm_campaign"}},
		{"click id beats utm_source",
			campaigns.Touch{UTMCampaign: "Spring Sale", UTMSource: "linkedin", ClickIDType: "gbraid"},
			&campaigns.Match{Platform: "google_ads", CampaignID: "111", CampaignName: "Spring Sale", By: "utm_campaign"}},
		{"click id of a platform without the name, utm_source decides",
			campaigns.Touch{UTMCampaign: "Spring Sale", UTMSource: "linkedin", ClickIDType: "msclkid"},
			&campaigns.Match{Platform: "linkedin_ads", CampaignID: "222", CampaignName: "spring sale", By: "utm_campaign"}},
		{"hints name no platform that has the name",
			campaigns.Touch{UTMCampaign: "Spring Sale", UTMSource: "tiktok", ClickIDType: "twclid"}, nil},
		{"ad platform and CRM share a name, fbclid",
			campaigns.Touch{UTMCampaign: "retargeting", ClickIDType: "fbclid"},
			&campaigns.Match{Platform: "meta_ads", CampaignID: "333", CampaignName: "Retargeting", By: "utm_campaign"}},
		{"ad platform and CRM share a name, no hint", campaigns.Touch{UTMCampaign: "retargeting"}, nil},
		{"two of the name on the hinted platform",
			campaigns.Touch{UTMCampaign: "generic", ClickIDType: "gclid"}, nil},
		{"two of the name elsewhere, the hinted platform has one",
			campaigns.Touch{UTMCampaign: "generic", UTMSource: "linkedin"},
			&campaigns.Match{Platform: "linkedin_ads", CampaignID: "890", CampaignName: "Generic", By: "utm_campaign"}},
		{"unknown name", campaigns.Touch{UTMCampaign: "summer", ClickIDType: "gclid"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := m.Match(tt.touch)
			if tt.want == nil {
				if ok {
					t.Fatalf("matched %+v, want no match", got)
				}
				return
			}
			if !ok {
				t.Fatalf("no match, want %+v", *tt.want)
			}
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("match (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchEmptyMatcher(t *testing.T) {
	m := campaigns.NewMatcher(nil, nil)
	if got, ok := m.Match(campaigns.Touch{UTMCampaign: "x", UTMID: "1", ClickIDType: "gclid"}); ok {
		t.Fatalf("matched %+v", got)
	}
}
