package metaads

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/apiclient"
)

func graph(code, subcode int, transient bool) string {
	body := `{"error":{"message":"m","type":"OAuthException","code":` + strconv.Itoa(code)
	if subcode != 0 {
		body += `,"error_subcode":` + strconv.Itoa(subcode)
	}
	if transient {
		body += `,"is_transient":true`
	}
	return body + `,"fbtrace_id":"x"}}`
}

func buc(regainMinutes, pct string) http.Header {
	return http.Header{"X-Business-Use-Case-Usage": {`{"123":[{"type":"ads_insights","call_count":` + pct +
		`,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":` + regainMinutes + `}]}`}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		header    http.Header
		want      apiclient.Verdict
		wantAfter time.Duration
	}{
		{"success", 200, `{"data":[]}`, nil, apiclient.Done, 0},
		{"expired token", 400, graph(190, 463, false), nil, apiclient.Reauth, 0},
		{"revoked token", 400, graph(190, 460, false), nil, apiclient.Reauth, 0},
		{"expired session", 400, graph(102, 0, false), nil, apiclient.Reauth, 0},
		{"app rate limit", 400, graph(4, 0, false), nil, apiclient.Retry, 0},
		{"user rate limit", 400, graph(17, 2446079, false), nil, apiclient.Retry, 0},
		{"custom rate limit", 400, graph(613, 1487742, false), nil, apiclient.Retry, 0},
		{"insights business limit waits for access", 400, graph(80000, 2446079, true), buc("5", "100"), apiclient.Retry, 5 * time.Minute},
		{"ad account subcode", 400, graph(100, 1504022, false), nil, apiclient.Retry, 0},
		{"another ad account subcode", 400, graph(100, 1504039, false), nil, apiclient.Retry, 0},
		{"a throttle for an hour fails the run", 400, graph(17, 0, false), buc("60", "100"), apiclient.Fail, 0},
		{"transient", 500, graph(2, 0, true), http.Header{"Retry-After": {"3"}}, apiclient.Retry, 3 * time.Second},
		{"unknown error", 500, graph(1, 0, false), nil, apiclient.Retry, 0},
		{"too much data at once", 500, `{"error":{"message":"Please reduce the amount of data you're asking for, then retry your request","type":"OAuthException","code":1,"error_subcode":99,"fbtrace_id":"x"}}`, nil, apiclient.Fail, 0},
		{"bad parameter", 400, graph(100, 0, false), nil, apiclient.Fail, 0},
		{"permission", 403, graph(200, 0, false), nil, apiclient.Fail, 0},
		{"non-JSON 502", 502, `<html>`, nil, apiclient.Retry, 0},
		{"non-JSON 401 goes to the token", 401, `nope`, nil, apiclient.Refresh, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			got := Classify(&apiclient.Response{Status: tt.status, Header: h, Body: []byte(tt.body)})
			if got.Verdict != tt.want || got.RetryAfter != tt.wantAfter {
				t.Errorf("Classify() = verdict %v after %v (%v), want %v after %v", got.Verdict, got.RetryAfter, got.Err, tt.want, tt.wantAfter)
			}
			if tooMuch := strings.Contains(tt.name, "too much data"); errors.Is(got.Err, errTooMuchData) != tooMuch {
				t.Errorf("Classify() error %v: errTooMuchData %v, want %v", got.Err, !tooMuch, tooMuch)
			}
		})
	}
}

func TestPace(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"no headers", http.Header{}, 0},
		{"low usage", buc("0", "10"), 0},
		{"close to the business quota", buc("0", "93"), time.Minute},
		{"throttled business", buc("4", "100"), 4 * time.Minute},
		{"throttled for long is capped", buc("600", "100"), 10 * time.Minute},
		{"ad account near its limit", http.Header{"X-Ad-Account-Usage": {`{"acc_id_util_pct":97.5,"reset_time_duration":120}`}}, 2 * time.Minute},
		{"ad account near its limit without a reset time", http.Header{"X-Ad-Account-Usage": {`{"acc_id_util_pct":90,"reset_time_duration":0}`}}, time.Minute},
		{"ad account fine", http.Header{"X-Ad-Account-Usage": {`{"acc_id_util_pct":9.67,"reset_time_duration":0}`}}, 0},
		{"insights throttle", http.Header{"X-Fb-Ads-Insights-Throttle": {`{"app_id_util_pct":95,"acc_id_util_pct":3}`}}, time.Minute},
		{"garbage", http.Header{"X-Business-Use-Case-Usage": {`{`}, "X-Ad-Account-Usage": {`[]`}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Pace(tt.header); got != tt.want {
				t.Errorf("Pace() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr bool
		want    []string
	}{
		{"both forms of id", `{"account_ids":["act_123","456"]}`, false, []string{"123", "456"}},
		{"defaults", `{"account_ids":["1"]}`, false, []string{"1"}},
		{"no accounts", `{}`, true, nil},
		{"not an id", `{"account_ids":["act_x1"]}`, true, nil},
		{"bad version", `{"account_ids":["1"],"api_version":"24"}`, true, nil},
		{"bad base URL", `{"account_ids":["1"],"base_url":"graph.facebook.com"}`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSettings([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSettings() error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (len(s.AccountIDs) != len(tt.want) || s.AccountIDs[0] != tt.want[0] || s.APIVersion != DefaultAPIVersion || s.BaseURL != DefaultBaseURL) {
				t.Errorf("parseSettings() = %+v", s)
			}
		})
	}
}
