package metaadsfake_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/metaads/metaadsfake"
)

// TestRequestValidation checks that the fake refuses what the Graph API refuses.
func TestRequestValidation(t *testing.T) {
	f := metaadsfake.Start(metaadsfake.Options{})
	defer f.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.AddAccount(metaadsfake.Account{ID: "123", Currency: "EUR", TimeZone: "Europe/Paris",
		Data: spendfake.Generate(spendfake.Options{Seed: 1, Campaigns: 3, From: day, To: day.AddDate(0, 0, 9), IDBase: 500})})
	f.SetStatus("123", "501", "DELETED")
	good := url.Values{
		"level": {"campaign"}, "time_increment": {"1"}, "time_range": {`{"since":"2026-03-01","until":"2026-03-10"}`},
		"fields": {"campaign_id,campaign_name,spend,clicks,impressions,account_currency"}, "limit": {"2"},
	}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name       string
		path       string
		query      url.Values
		token      string
		wantStatus int
		wantIn     string
		wantOut    string
	}{
		{"good", "/v24.0/act_123/insights", good, "", 200, `"next":"http://`, `"campaign_id":"501"`},
		{"deleted campaigns with the filter", "/v24.0/act_123/insights", with("filtering", `[{"field":"campaign.effective_status","operator":"IN","value":["DELETED"]}]`), "", 200, `"campaign_id":"501"`, `"campaign_id":"502"`},
		{"account node", "/v24.0/act_123", url.Values{"fields": {"currency,timezone_name"}}, "", 200, `"timezone_name":"Europe/Paris"`, ""},
		{"token as a parameter", "/v24.0/act_123", url.Values{"fields": {"currency"}, "access_token": {"access-token"}}, "-", 200, `"currency":"EUR"`, ""},
		{"no token", "/v24.0/act_123", url.Values{"fields": {"currency"}}, "-", 400, `"code":190`, ""},
		{"unknown node field", "/v24.0/act_123", url.Values{"fields": {"balance"}}, "", 400, `"code":100`, ""},
		{"not an ad account", "/v24.0/123/insights", good, "", 400, `"error_subcode":33`, ""},
		{"bad version", "/v24/act_123/insights", good, "", 400, `"code":2500`, ""},
		{"reversed range", "/v24.0/act_123/insights", with("time_range", `{"since":"2026-03-10","until":"2026-03-01"}`), "", 400, "time_range", ""},
		{"range not JSON", "/v24.0/act_123/insights", with("time_range", "2026-03-01"), "", 400, "time_range", ""},
		{"unknown field", "/v24.0/act_123/insights", with("fields", "campaign_id,cost"), "", 400, "cost is not valid", ""},
		{"other level", "/v24.0/act_123/insights", with("level", "ad"), "", 400, "level", ""},
		{"bad filter", "/v24.0/act_123/insights", with("filtering", `[{"field":"campaign.effective_status","operator":"IN","value":["GONE"]}]`), "", 400, "Filtering", ""},
		{"bad cursor", "/v24.0/act_123/insights", with("after", "!!"), "", 400, "after", ""},
		{"unknown parameter", "/v24.0/act_123/insights", with("date_preset", "last_7d"), "", 400, "date_preset", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.URL+tt.path+"?"+tt.query.Encode(), nil)
			if tt.token == "" {
				req.Header.Set("Authorization", "Bearer access-token")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			body := string(raw)
			if res.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantIn) || (tt.wantOut != "" && strings.Contains(body, tt.wantOut)) {
				t.Errorf("HTTP %d %.400s, want %d with %q without %q", res.StatusCode, body, tt.wantStatus, tt.wantIn, tt.wantOut)
			}
		})
	}
}
