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
			status, body := call(t, f, http.MethodGet, tt.path, tt.query, tt.token == "")
			if status != tt.wantStatus || !strings.Contains(body, tt.wantIn) || (tt.wantOut != "" && strings.Contains(body, tt.wantOut)) {
				t.Errorf("HTTP %d %.400s, want %d with %q without %q", status, body, tt.wantStatus, tt.wantIn, tt.wantOut)
			}
		})
	}
}

// TestReports walks a report through the fake: started by a POST with the edge's
// parameters, its status read until it completes, its rows readable only then.
func TestReports(t *testing.T) {
	f := metaadsfake.Start(metaadsfake.Options{SyncRowLimit: 5, ReportPolls: 1})
	defer f.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.AddAccount(metaadsfake.Account{ID: "123", Currency: "EUR", TimeZone: "UTC",
		Data: spendfake.Generate(spendfake.Options{Seed: 1, Campaigns: 3, From: day, To: day.AddDate(0, 0, 9), IDBase: 500})})
	query := url.Values{
		"level": {"campaign"}, "time_increment": {"1"}, "time_range": {`{"since":"2026-03-01","until":"2026-03-10"}`},
		"fields": {"campaign_id,spend"}, "limit": {"20"},
	}
	steps := []struct {
		name, method, path string
		form               url.Values
		wantStatus         int
		wantIn             string
	}{
		{"30 rows are too many at once", "GET", "/v24.0/act_123/insights", query, 500, `"code":1`},
		{"a report with a bad parameter", "POST", "/v24.0/act_123/insights", url.Values{"level": {"ad"}}, 400, "level"},
		{"a report", "POST", "/v24.0/act_123/insights", query, 200, `"report_run_id":"6023920149050"`},
		{"its rows before it is done", "GET", "/v24.0/6023920149050/insights", nil, 400, "has not completed"},
		{"first status", "GET", "/v24.0/6023920149050", nil, 200, `"async_status":"Job Not Started"`},
		{"second status", "GET", "/v24.0/6023920149050", nil, 200, `"async_status":"Job Running"`},
		{"third status", "GET", "/v24.0/6023920149050", nil, 200, `"async_status":"Job Completed"`},
		{"its first page", "GET", "/v24.0/6023920149050/insights", url.Values{"limit": {"5"}}, 200, `"next":"http://`},
		{"a report that does not exist", "GET", "/v24.0/6023920149099", nil, 400, `"error_subcode":33`},
	}
	for _, s := range steps {
		status, body := call(t, f, s.method, s.path, s.form, true)
		if status != s.wantStatus || !strings.Contains(body, s.wantIn) {
			t.Errorf("%s: HTTP %d %.300s, want %d with %q", s.name, status, body, s.wantStatus, s.wantIn)
		}
	}
}

// call sends a request to the fake, form as the query of a GET or the body of a
// POST, with the fake's access token when auth is set.
func call(t *testing.T, f *metaadsfake.Fake, method, path string, form url.Values, auth bool) (int, string) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		path += "?" + form.Encode()
	}
	req, _ := http.NewRequest(method, f.URL+path, body)
	if auth {
		req.Header.Set("Authorization", "Bearer access-token")
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}
