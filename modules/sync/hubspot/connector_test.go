package hubspot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name, settings, creds string
		want                  []string
		wantSettings          *Settings
	}{
		{name: "defaults with a private app", settings: ``, creds: `{"access_token":"pat-na1-x"}`,
			wantSettings: &Settings{BaseURL: DefaultBaseURL, TokenURL: DefaultTokenURL, RequestsPerSecond: 9, SearchRequestsPerSecond: 4}},
		{name: "everything set with OAuth",
			settings: `{"base_url":"http://127.0.0.1:9","token_url":"http://127.0.0.1:9/oauth/v1/token","portal_id":"123","touchpoint_object":"2-99","requests_per_second":19,"search_requests_per_second":5}`,
			creds:    `{"client_id":"a","client_secret":"b","refresh_token":"c"}`,
			wantSettings: &Settings{BaseURL: "http://127.0.0.1:9", TokenURL: "http://127.0.0.1:9/oauth/v1/token", PortalID: "123",
				TouchpointObject: "2-99", RequestsPerSecond: 19, SearchRequestsPerSecond: 5}},
		{name: "unknown settings key", settings: `{"base_ur":"x"}`, creds: `{"access_token":"x"}`, want: []string{`unknown field "base_ur"`}},
		{name: "bad URLs", settings: `{"base_url":"api.hubapi.com","token_url":"ftp://x/y"}`, creds: `{"access_token":"x"}`,
			want: []string{`base_url "api.hubapi.com"`, `token_url "ftp://x/y"`}},
		{name: "bad portal and object", settings: `{"portal_id":"hub-1","touchpoint_object":"p srg/x"}`, creds: `{"access_token":"x"}`,
			want: []string{"portal_id", "touchpoint_object"}},
		{name: "negative rate", settings: `{"requests_per_second":-1}`, creds: `{"access_token":"x"}`, want: []string{"requests_per_second must be positive"}},
		{name: "rate of the wrong type", settings: `{"search_requests_per_second":"fast"}`, creds: `{"access_token":"x"}`,
			want: []string{"search_requests_per_second"}},
		{name: "no credentials", creds: `{}`, want: []string{"access_token (private app) or client_id"}},
		{name: "both kinds", creds: `{"access_token":"x","refresh_token":"y"}`, want: []string{"not both"}},
		{name: "OAuth without a secret", creds: `{"client_id":"a","refresh_token":"c"}`, want: []string{"client_secret is required"}},
		{name: "unknown credentials key", creds: `{"token":"pat-secret"}`, want: []string{`unknown field "token"`}},
		{name: "credentials of the wrong type", creds: `{"access_token":12345}`, want: []string{"access_token must be a string"}},
		{name: "credentials not an object", creds: `"pat-secret-value"`, want: []string{"credentials: not a JSON object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(connector.Config{Settings: json.RawMessage(tc.settings), Credentials: json.RawMessage(tc.creds)})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if diff := cmp.Diff(*tc.wantSettings, c.settings); diff != "" {
					t.Errorf("settings (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("New succeeded, want an error naming %v", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") && strings.Contains(tc.creds, "secret") && !strings.Contains(err.Error(), "client_secret") {
				t.Errorf("error %q repeats a secret", err)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		header      http.Header
		body        string
		want        apiclient.Verdict
		wantAfter   time.Duration
		wantErrText string
	}{
		{name: "ok", status: 200, want: apiclient.Done},
		{name: "batch with errors", status: 207, body: `{"status":"COMPLETE","errors":[{}]}`, want: apiclient.Done},
		{name: "expired token", status: 401, body: `{"status":"error","category":"EXPIRED_AUTHENTICATION"}`, want: apiclient.Refresh},
		{name: "secondly limit", status: 429, body: `{"status":"error","errorType":"RATE_LIMIT","policyName":"SECONDLY"}`,
			want: apiclient.Retry, wantAfter: time.Second},
		{name: "Retry-After wins", status: 429, header: http.Header{"Retry-After": {"7"}},
			body: `{"status":"error","policyName":"SECONDLY"}`, want: apiclient.Retry, wantAfter: 7 * time.Second},
		{name: "rolling limit uses backoff", status: 429, body: `{"policyName":"TEN_SECONDLY_ROLLING"}`, want: apiclient.Retry},
		{name: "daily limit", status: 429, body: `{"status":"error","message":"You have reached your daily limit.","policyName":"DAILY"}`,
			want: apiclient.Fail, wantErrText: "daily API limit reached"},
		{name: "missing scopes", status: 403, body: `{"status":"error","message":"This app hasn't been granted all required scopes","category":"MISSING_SCOPES"}`,
			want: apiclient.Reauth, wantErrText: "MISSING_SCOPES"},
		{name: "bad request", status: 400, body: `{"status":"error","message":"Property \"x\" does not exist","category":"VALIDATION_ERROR","correlationId":"abc"}`,
			want: apiclient.Fail, wantErrText: `Property "x" does not exist (VALIDATION_ERROR) [correlationId abc]`},
		{name: "gateway error page", status: 502, body: `<html>Bad Gateway</html>`, want: apiclient.Retry},
		{name: "server error", status: 500, body: `{"status":"error","message":"internal"}`, want: apiclient.Retry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classify(&apiclient.Response{Status: tc.status, Header: tc.header, Body: []byte(tc.body)})
			if got.Verdict != tc.want || got.RetryAfter != tc.wantAfter {
				t.Errorf("classify = %+v, want verdict %v after %v", got, tc.want, tc.wantAfter)
			}
			if tc.wantErrText != "" && (got.Err == nil || !strings.Contains(got.Err.Error(), tc.wantErrText)) {
				t.Errorf("classify error = %v, want %q", got.Err, tc.wantErrText)
			}
		})
	}
}

func TestPace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{name: "no headers", want: 0},
		{name: "room left", header: map[string]string{"X-HubSpot-RateLimit-Secondly-Remaining": "3", "X-HubSpot-RateLimit-Remaining": "40"}, want: 0},
		{name: "second spent", header: map[string]string{"X-HubSpot-RateLimit-Secondly-Remaining": "0", "X-HubSpot-RateLimit-Remaining": "40"}, want: time.Second},
		{name: "window spent", header: map[string]string{"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, want: 10 * time.Second},
		{name: "window spent without interval", header: map[string]string{"X-HubSpot-RateLimit-Remaining": "0"}, want: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			if got := pace(h); got != tc.want {
				t.Errorf("pace = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]string{"": "", "1500": "1500", "1500.50": "1500.50", "-3.5": "-3.5", "1e3": "1000", "12 USD": ""} {
		if got := decimal(in); got != want {
			t.Errorf("decimal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{"": "", "acme.io": "acme.io", "https://www.Example.com/about": "example.com",
		"WWW.acme.io": "acme.io", "http://shop.acme.io:8080": "shop.acme.io"} {
		if got := domain(in); got != want {
			t.Errorf("domain(%q) = %q, want %q", in, got, want)
		}
	}
}
