package hubspotfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func do(t *testing.T, s *Server, method, path, token, contentType, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

func TestRequests(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Seed(30, 5, 10)
	contact := s.LiveIDs(Contacts)[0]
	const tok, js = "pat-na1-fake", "application/json"
	search := func(extra string) string {
		return `{"filterGroups":[{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":"0"}]}],` +
			`"sorts":[{"propertyName":"lastmodifieddate","direction":"ASCENDING"}],"limit":10` + extra + `}`
	}
	for _, tc := range []struct {
		name, method, path, token, ctype, body string
		wantStatus                             int
		want                                   string
	}{
		{"search", "POST", "/crm/v3/objects/contacts/search", tok, js, search(""), 200, `"total":30`},
		{"search by type id", "POST", "/crm/v3/objects/0-1/search", tok, js, search(`,"after":"20"`), 200, `"total":30`},
		{"search without a token", "POST", "/crm/v3/objects/contacts/search", "", js, search(""), 401, "INVALID_AUTHENTICATION"},
		{"search with a wrong token", "POST", "/crm/v3/objects/contacts/search", "pat-other", js, search(""), 401, "INVALID_AUTHENTICATION"},
		{"search past 10,000", "POST", "/crm/v3/objects/contacts/search", tok, js, search(`,"after":"10000"`), 400, "limited to 10000"},
		{"search limit too high", "POST", "/crm/v3/objects/contacts/search", tok, js, `{"limit":201}`, 400, "limit must be between 1 and 200"},
		{"search unknown property", "POST", "/crm/v3/objects/contacts/search", tok, js,
			`{"filterGroups":[{"filters":[{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"0"}]}]}`, 400, `"hs_lastmodifieddate\" does not exist on contacts`},
		{"search bad operator", "POST", "/crm/v3/objects/contacts/search", tok, js,
			`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"LIKE","value":"a"}]}]}`, 400, "operator \\\"LIKE\\\" is not valid"},
		{"search bad datetime", "POST", "/crm/v3/objects/contacts/search", tok, js,
			`{"filterGroups":[{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":"yesterday"}]}]}`, 400, "not a valid datetime"},
		{"search two sorts", "POST", "/crm/v3/objects/contacts/search", tok, js, `{"sorts":["email","createdate"]}`, 400, "only one sort"},
		{"search unknown field", "POST", "/crm/v3/objects/contacts/search", tok, js, `{"limt":10}`, 400, "unknown field"},
		{"search as a form", "POST", "/crm/v3/objects/contacts/search", tok, "application/x-www-form-urlencoded", "limit=10", 415, "application/json"},
		{"search unknown type", "POST", "/crm/v3/objects/tickets/search", tok, js, search(""), 400, "Unable to infer object type from: tickets"},
		{"list", "GET", "/crm/v3/objects/companies?limit=2&properties=name,domain", tok, "", "", 200, `"paging":{"next":{"after":`},
		{"list limit too high", "GET", "/crm/v3/objects/companies?limit=101", tok, "", "", 400, "limit must be between 1 and 100"},
		{"list bad after", "GET", "/crm/v3/objects/companies?after=zzz", tok, "", "", 400, "Invalid paging token"},
		{"archived list of none", "GET", "/crm/v3/objects/deals?archived=true", tok, "", "", 200, `{"results":[]}`},
		{"pipelines", "GET", "/crm/v3/pipelines/deals", tok, "", "", 200, `"metadata":{"isClosed":"true","probability":"1.0"}`},
		{"associations", "POST", "/crm/v4/associations/contacts/companies/batch/read", tok, js,
			`{"inputs":[{"id":"` + contact + `"}]}`, 200, `"typeId":1,"label":"Primary"`},
		{"associations none", "POST", "/crm/v4/associations/companies/deals/batch/read", tok, js,
			`{"inputs":[{"id":"1"}]}`, 207, "crm.associations.NO_ASSOCIATIONS_FOUND"},
		{"associations too many", "POST", "/crm/v4/associations/contacts/companies/batch/read", tok, js,
			`{"inputs":[` + strings.Repeat(`{"id":"1"},`, 1000) + `{"id":"1"}]}`, 400, "exceeds the limit of 1000"},
		{"upsert by a non-unique property", "POST", "/crm/v3/objects/p_srg_touchpoints/batch/upsert", tok, js,
			`{"inputs":[{"idProperty":"srg_email","id":"a@b.c","properties":{}}]}`, 400, "non-unique"},
		{"upsert duplicate ids", "POST", "/crm/v3/objects/p_srg_touchpoints/batch/upsert", tok, js,
			`{"inputs":[{"idProperty":"srg_touchpoint_id","id":"x","properties":{}},{"idProperty":"srg_touchpoint_id","id":"x","properties":{}}]}`, 400, "Duplicate IDs"},
		{"upsert unknown property", "POST", "/crm/v3/objects/p_srg_touchpoints/batch/upsert", tok, js,
			`{"inputs":[{"idProperty":"srg_touchpoint_id","id":"x","properties":{"colour":"red"}}]}`, 207, `"results":[]`},
		{"unknown endpoint", "GET", "/crm/v3/owners", tok, "", "", 404, "OBJECT_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := do(t, s, tc.method, tc.path, tc.token, tc.ctype, tc.body)
			if status != tc.wantStatus || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s = %d %s, want %d with %q", tc.method, tc.path, status, body, tc.wantStatus, tc.want)
			}
		})
	}
	if got := s.CustomCreates("p_srg_touchpoints"); got != 0 {
		t.Errorf("refused upserts created %d records", got)
	}
}

func TestOAuth(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	token := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(s.TokenURL, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	good := url.Values{"grant_type": {"refresh_token"}, "client_id": {"fake-client-id"},
		"client_secret": {"fake-client-secret"}, "refresh_token": {"fake-refresh-token"}}
	status, body := token(good)
	if status != 200 || body["expires_in"] != float64(1800) {
		t.Fatalf("token = %d %v", status, body)
	}
	access := body["access_token"].(string)
	if status, _, _ := do(t, s, "GET", "/crm/v3/pipelines/deals", access, "", ""); status != 200 {
		t.Errorf("fresh token: %d", status)
	}
	s.ExpireAccessTokens()
	if status, b, _ := do(t, s, "GET", "/crm/v3/pipelines/deals", access, "", ""); status != 401 || !strings.Contains(b, "EXPIRED_AUTHENTICATION") {
		t.Errorf("expired token: %d %s", status, b)
	}
	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("client_secret", "wrong")
	if status, body := token(bad); status != 400 || body["status"] != "BAD_CLIENT_SECRET" {
		t.Errorf("wrong secret: %d %v", status, body)
	}
	s.Revoke()
	if status, body := token(good); status != 400 || body["status"] != "BAD_REFRESH_TOKEN" {
		t.Errorf("revoked refresh token: %d %v", status, body)
	}
	if status, _, _ := do(t, s, "GET", "/crm/v3/pipelines/deals", "pat-na1-fake", "", ""); status != 401 {
		t.Errorf("revoked private app token: %d", status)
	}
}

func TestRateLimit(t *testing.T) {
	s := New(Options{RequestsPerSecond: 3})
	defer s.Close()
	var statuses []int
	var remaining []string
	for range 4 {
		status, _, h := do(t, s, "GET", "/crm/v3/pipelines/deals", "pat-na1-fake", "", "")
		statuses = append(statuses, status)
		remaining = append(remaining, h.Get("X-HubSpot-RateLimit-Secondly-Remaining")+"/"+h.Get("Retry-After"))
	}
	if want := []int{200, 200, 200, 429}; !cmp.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if want := []string{"2/", "1/", "0/", "/1"}; !cmp.Equal(remaining, want) {
		t.Errorf("remaining/retry-after %v, want %v", remaining, want)
	}
	if s.RateLimited() != 1 {
		t.Errorf("RateLimited = %d, want 1", s.RateLimited())
	}
}

func TestSeedAtBenchSize(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	start := time.Now()
	s.Seed(100000, 20000, 30000)
	t.Logf("seeded in %v", time.Since(start))
	for typ, want := range map[string]int{Contacts: 100000, Companies: 20000, Deals: 30000} {
		if got := len(s.LiveIDs(typ)); got != want {
			t.Errorf("%d %s, want %d", got, typ, want)
		}
	}
	if got := len(s.Associations(Contacts, Companies)); got != 100000 {
		t.Errorf("%d contacts with companies, want 100000", got)
	}
	// The same counts make the same portal.
	other := New(Options{})
	defer other.Close()
	other.Seed(100, 20, 30)
	again := New(Options{})
	defer again.Close()
	again.Seed(100, 20, 30)
	for _, id := range other.LiveIDs(Deals) {
		a, b := other.Properties(Deals, id), again.Properties(Deals, id)
		delete(a, "createdate")
		delete(b, "createdate")
		delete(a, "hs_lastmodifieddate")
		delete(b, "hs_lastmodifieddate")
		delete(a, "closedate")
		delete(b, "closedate")
		if len(a) == 0 || !cmp.Equal(a, b) {
			t.Fatalf("deal %s differs between seeds: %v vs %v", id, a, b)
		}
	}
}
