package googleadsfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/srgplatform/srg/modules/sync/adspend/spendfake"
	"github.com/srgplatform/srg/modules/sync/googleads/googleadsfake"
)

func token(t *testing.T, f *googleadsfake.Fake) string {
	t.Helper()
	res, err := http.PostForm(f.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"refresh-token"},
		"client_id": {"client-id"}, "client_secret": {"client-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v %+v", err, tok)
	}
	return tok.AccessToken
}

// TestRequestValidation checks that the fake refuses what Google refuses, so a
// connector that passes against it sends well-formed requests.
func TestRequestValidation(t *testing.T) {
	f := googleadsfake.Start(googleadsfake.Options{})
	defer f.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.AddCustomer(googleadsfake.Customer{ID: "1234567890", Currency: "USD", TimeZone: "UTC",
		Data: spendfake.Generate(spendfake.Options{Seed: 1, Campaigns: 2, From: day, To: day.AddDate(0, 0, 9)})})
	tok := token(t, f)
	const good = "SELECT campaign.id, campaign.name, metrics.cost_micros, metrics.clicks, metrics.impressions, segments.date FROM campaign WHERE segments.date BETWEEN '2026-03-01' AND '2026-03-10'"
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		query      string
		wantStatus int
		wantInBody string
	}{
		{"good", "/v24/customers/1234567890/googleAds:searchStream", nil, good, 200, `"costMicros"`},
		{"customer", "/v24/customers/1234567890/googleAds:searchStream", nil, "SELECT customer.currency_code, customer.time_zone FROM customer", 200, `"currencyCode":"USD"`},
		{"no token", "/v24/customers/1234567890/googleAds:searchStream", map[string]string{"Authorization": ""}, good, 401, "UNAUTHENTICATED"},
		{"stale token", "/v24/customers/1234567890/googleAds:searchStream", map[string]string{"Authorization": "Bearer nope"}, good, 401, "OAUTH_TOKEN_INVALID"},
		{"no developer token", "/v24/customers/1234567890/googleAds:searchStream", map[string]string{"developer-token": ""}, good, 401, "DEVELOPER_TOKEN_INVALID"},
		{"unknown customer", "/v24/customers/1111111111/googleAds:searchStream", nil, good, 403, "USER_PERMISSION_DENIED"},
		{"unexpected manager", "/v24/customers/1234567890/googleAds:searchStream", map[string]string{"login-customer-id": "1"}, good, 403, "USER_PERMISSION_DENIED"},
		{"bad version", "/24/customers/1234567890/googleAds:searchStream", nil, good, 404, "NOT_FOUND"},
		{"reversed range", "/v24/customers/1234567890/googleAds:searchStream", nil, strings.Replace(good, "'2026-03-01' AND '2026-03-10'", "'2026-03-10' AND '2026-03-01'", 1), 400, "DATE_RANGE_TOO_NARROW"},
		{"bad date", "/v24/customers/1234567890/googleAds:searchStream", nil, strings.Replace(good, "2026-03-10", "2026-3-10", 1), 400, "INVALID_DATE_FORMAT"},
		{"no date filter", "/v24/customers/1234567890/googleAds:searchStream", nil, strings.Split(good, " WHERE")[0], 400, "EXPECTED_FILTERS_ON_DATE_RANGE"},
		{"unknown field", "/v24/customers/1234567890/googleAds:searchStream", nil, strings.Replace(good, "metrics.clicks", "metrics.cost", 1), 400, "UNRECOGNIZED_FIELD"},
		{"unknown resource", "/v24/customers/1234567890/googleAds:searchStream", nil, "SELECT campaign.id FROM campaigns", 400, "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"},
		{"empty query", "/v24/customers/1234567890/googleAds:searchStream", nil, "", 400, "INVALID_ARGUMENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"query": tt.query})
			req, _ := http.NewRequest(http.MethodPost, f.URL+tt.path, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("developer-token", "dev-token")
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
				t.Errorf("HTTP %d %s, want %d with %q", res.StatusCode, raw, tt.wantStatus, tt.wantInBody)
			}
		})
	}
}

func TestRevokedRefreshToken(t *testing.T) {
	f := googleadsfake.Start(googleadsfake.Options{})
	defer f.Close()
	f.Tokens.Revoke()
	res, err := http.PostForm(f.URL+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"refresh-token"},
		"client_id": {"client-id"}, "client_secret": {"client-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || !strings.Contains(string(raw), `"invalid_grant"`) {
		t.Errorf("HTTP %d %s, want 400 invalid_grant", res.StatusCode, raw)
	}
}
