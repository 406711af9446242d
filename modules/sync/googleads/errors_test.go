package googleads

import (
	"net/http"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/apiclient"
)

func TestClassify(t *testing.T) {
	failure := func(status, family, code, extra string) string {
		return `{"error":{"code":400,"message":"m","status":"` + status + `","details":[{"@type":"type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure","errors":[{"errorCode":{"` + family + `":"` + code + `"},"message":"why"` + extra + `}],"requestId":"r"}]}}`
	}
	quota := func(delay string) string {
		return failure("RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_EXHAUSTED", `,"details":{"quotaErrorDetails":{"rateScope":"DEVELOPER","retryDelay":"`+delay+`"}}`)
	}
	tests := []struct {
		name      string
		status    int
		body      string
		header    http.Header
		want      apiclient.Verdict
		wantAfter time.Duration
	}{
		{"success", 200, `[{"results":[{"campaign":{"id":"1","name":"error"}}]}]`, nil, apiclient.Done, 0},
		{"quota with a short delay is retried after it", 429, "[" + quota("30s") + "]", nil, apiclient.Retry, 30 * time.Second},
		{"quota as a bare object", 429, quota("1.5s"), nil, apiclient.Retry, 1500 * time.Millisecond},
		{"quota for hours fails the run", 429, quota("40591s"), nil, apiclient.Fail, 0},
		{"temporarily exhausted", 429, "[" + failure("RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED", "") + "]", nil, apiclient.Retry, 0},
		{"expired OAuth token is refreshed", 401, "[" + failure("UNAUTHENTICATED", "authenticationError", "OAUTH_TOKEN_EXPIRED", "") + "]", nil, apiclient.Refresh, 0},
		{"plain 401 is refreshed", 401, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`, nil, apiclient.Refresh, 0},
		{"bad developer token fails without a refresh", 401, "[" + failure("UNAUTHENTICATED", "authenticationError", "DEVELOPER_TOKEN_INVALID", "") + "]", nil, apiclient.Fail, 0},
		{"permission denied fails", 403, "[" + failure("PERMISSION_DENIED", "authorizationError", "USER_PERMISSION_DENIED", "") + "]", nil, apiclient.Fail, 0},
		{"query error fails", 400, "[" + failure("INVALID_ARGUMENT", "queryError", "DATE_RANGE_TOO_NARROW", "") + "]", nil, apiclient.Fail, 0},
		{"transient internal error is retried", 500, "[" + failure("INTERNAL", "internalError", "TRANSIENT_ERROR", "") + "]", nil, apiclient.Retry, 0},
		{"a stream that ends in an error is judged by it", 200, `[{"results":[]},` + failure("UNAVAILABLE", "internalError", "TRANSIENT_ERROR", "") + `]`, nil, apiclient.Retry, 0},
		{"a non-JSON 503 falls back to the default", 503, `<html>busy</html>`, http.Header{"Retry-After": {"7"}}, apiclient.Retry, 7 * time.Second},
		{"a non-JSON 404 fails", 404, `<html>no</html>`, nil, apiclient.Fail, 0},
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
			if (got.Verdict == apiclient.Fail) && got.Err == nil {
				t.Error("a failure without a reason")
			}
		})
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr bool
		check   func(Settings) bool
	}{
		{"defaults", `{"customer_ids":["123-456-7890"]}`, false, func(s Settings) bool {
			return s.CustomerIDs[0] == "1234567890" && s.BaseURL == DefaultBaseURL && s.TokenURL == DefaultTokenURL &&
				s.APIVersion == DefaultAPIVersion && s.TrailingDays == 7 && s.BackfillDays == 90
		}},
		{"manager id is normalised", `{"customer_ids":["1234567890"],"login_customer_id":"111-222-3333"}`, false, func(s Settings) bool {
			return s.LoginCustomerID == "1112223333"
		}},
		{"no customers", `{}`, true, nil},
		{"short customer id", `{"customer_ids":["12345"]}`, true, nil},
		{"relative base URL", `{"customer_ids":["1234567890"],"base_url":"/x"}`, true, nil},
		{"bad token URL", `{"customer_ids":["1234567890"],"token_url":"ftp://x"}`, true, nil},
		{"bad version", `{"customer_ids":["1234567890"],"api_version":"24"}`, true, nil},
		{"bad window", `{"customer_ids":["1234567890"],"trailing_days":500}`, true, nil},
		{"not JSON", `[`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSettings([]byte(tt.raw))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSettings() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(s) {
				t.Errorf("parseSettings() = %+v", s)
			}
		})
	}
}
