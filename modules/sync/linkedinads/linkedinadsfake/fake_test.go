package linkedinadsfake_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/linkedinads/linkedinadsfake"
)

// TestRequestValidation checks that the fake refuses what LinkedIn refuses, above
// all a Rest.li query encoded the way url.Values would encode it.
func TestRequestValidation(t *testing.T) {
	f := linkedinadsfake.Start(linkedinadsfake.Options{})
	defer f.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.AddAccount(linkedinadsfake.Account{ID: "123", Currency: "USD",
		Data: spendfake.Generate(spendfake.Options{Seed: 1, Campaigns: 3, From: day, To: day.AddDate(0, 0, 9), IDBase: 700})})
	const (
		dates    = "dateRange=(start:(year:2026,month:3,day:1),end:(year:2026,month:3,day:10))"
		accounts = "accounts=List(urn%3Ali%3AsponsoredAccount%3A123)"
		good     = "/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&" + dates + "&" + accounts + "&fields=dateRange,pivotValues,costInLocalCurrency,impressions,clicks"
	)
	tests := []struct {
		name       string
		uri        string
		header     map[string]string
		wantStatus int
		wantInBody string
	}{
		{"good", good, nil, 200, `"costInLocalCurrency":"`},
		{"default fields", strings.Split(good, "&fields")[0], nil, 200, `"impressions":`},
		{"url.Values-style encoding", strings.Replace(good, dates, "dateRange=%28start%3A%28year%3A2026%2Cmonth%3A3%2Cday%3A1%29%29", 1), nil, 400, "ILLEGAL_ARGUMENT"},
		{"unencoded URN", strings.Replace(good, accounts, "accounts=List(urn:li:sponsoredAccount:123)", 1), nil, 400, "ILLEGAL_ARGUMENT"},
		{"encoded List", strings.Replace(good, accounts, "accounts=List%28urn%3Ali%3AsponsoredAccount%3A123%29", 1), nil, 400, "ILLEGAL_ARGUMENT"},
		{"reversed dates", strings.Replace(good, "day:1)", "day:30)", 1), nil, 400, "Invalid date range"},
		{"impossible date", strings.Replace(good, "month:3,day:1)", "month:2,day:30)", 1), nil, 400, "Invalid date range"},
		{"unknown field", good + "x", nil, 400, "Invalid field"},
		{"unknown parameter", good + "&count=5", nil, 400, "QUERY_PARAM_NOT_ALLOWED"},
		{"someone else's account", strings.Replace(good, "%3A123", "%3A999", 1), nil, 403, "ACCESS_DENIED"},
		{"no version", good, map[string]string{"LinkedIn-Version": ""}, 400, "VERSION_MISSING"},
		{"unknown version", good, map[string]string{"LinkedIn-Version": "202413"}, 426, "NONEXISTENT_VERSION"},
		{"Rest.li 1.0", good, map[string]string{"X-Restli-Protocol-Version": ""}, 400, "ILLEGAL_ARGUMENT"},
		{"no token", good, map[string]string{"Authorization": ""}, 401, "INVALID_ACCESS_TOKEN"},
		{"account", "/rest/adAccounts/123", nil, 200, `"currency":"USD"`},
		{"campaign page", "/rest/adAccounts/123/adCampaigns?q=search&pageSize=2", nil, 200, `"nextPageToken":"`},
		{"last campaign page", "/rest/adAccounts/123/adCampaigns?q=search&pageSize=3", nil, 200, `"metadata":{}`},
		{"page too big", "/rest/adAccounts/123/adCampaigns?q=search&pageSize=1001", nil, 400, "pageSize"},
		{"bad page token", "/rest/adAccounts/123/adCampaigns?q=search&pageToken=%25%25", nil, 400, "pageToken"},
		{"one campaign", "/rest/adAccounts/123/adCampaigns/701", nil, 200, `"id":701`},
		{"unknown campaign", "/rest/adAccounts/123/adCampaigns/1", nil, 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.URL+tt.uri, nil)
			req.Header.Set("Authorization", "Bearer access-token")
			req.Header.Set("LinkedIn-Version", "202607")
			req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.wantStatus || !strings.Contains(string(raw), tt.wantInBody) {
				t.Errorf("HTTP %d %.300s, want %d with %q", res.StatusCode, raw, tt.wantStatus, tt.wantInBody)
			}
		})
	}
}
