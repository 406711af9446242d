package salesforcefake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// client talks to a fake with a session, as the connector would.
type client struct {
	t     *testing.T
	s     *Server
	token string
}

func newClient(t *testing.T, s *Server) *client {
	t.Helper()
	res, err := http.PostForm(s.URL()+"/services/oauth2/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {"fake-client-id"},
		"client_secret": {"fake-client-secret"}, "refresh_token": {"fake-refresh-token"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" || tok.InstanceURL != s.URL() {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	return &client{t: t, s: s, token: tok.AccessToken}
}

func (c *client) do(method, path, body string) (int, http.Header, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.s.URL()+path, strings.NewReader(body))
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

type queryPage struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// query runs q and returns the status, the error code (if any) and the page.
func (c *client) query(resource, q string) (int, string, queryPage) {
	c.t.Helper()
	status, _, body := c.do("GET", "/services/data/v59.0/"+resource+"?q="+url.QueryEscape(q), "")
	return decodeAnswer(c.t, status, body)
}

func decodeAnswer(t *testing.T, status int, body []byte) (int, string, queryPage) {
	t.Helper()
	var page queryPage
	if status != http.StatusOK {
		var errs []struct{ ErrorCode string }
		if err := json.Unmarshal(body, &errs); err != nil || len(errs) != 1 {
			t.Fatalf("error body %s is not [{message, errorCode}]", body)
		}
		return status, errs[0].ErrorCode, page
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("query answer %s: %v", body, err)
	}
	return status, "", page
}

func TestSOQL(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	a := s.Create(Account, map[string]string{"Name": "A"})
	b := s.Create(Account, map[string]string{"Name": "B"})
	s.Delete(Account, a)
	c := newClient(t, s)
	tests := []struct {
		name     string
		resource string
		q        string
		wantCode string
		wantIDs  []string
	}{
		{"live only", "query", "SELECT Id, Name FROM Account", "", []string{b}},
		{"deleted too", "queryAll", "SELECT Id FROM account ORDER BY SystemModstamp DESC", "", []string{a, b}},
		{"tie-break filter", "queryAll", "SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01T00:00:02Z OR (SystemModstamp = 2024-01-01T00:00:02.000+00:00 AND Id > '" + b + "') ORDER BY SystemModstamp, Id", "", []string{a}},
		{"tie-break filter, equal stamp", "queryAll", "SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01T00:00:03Z OR (SystemModstamp = 2024-01-01T00:00:02Z AND Id > '001000000000000AAA')", "", []string{b}},
		{"bool and null filter", "queryAll", "SELECT Id FROM Account WHERE IsDeleted = false AND Website = null", "", []string{b}},
		{"limit", "queryAll", "SELECT Id FROM Account ORDER BY Name LIMIT 1", "", []string{a}},
		{"unknown object", "query", "SELECT Id FROM Nope", "INVALID_TYPE", nil},
		{"unknown field", "query", "SELECT Id, Foo FROM Account", "INVALID_FIELD", nil},
		{"relationship field", "query", "SELECT Account.Name FROM Contact", "INVALID_FIELD", nil},
		{"single-currency org", "query", "SELECT CurrencyIsoCode FROM Opportunity", "INVALID_FIELD", nil},
		{"quoted dateTime", "query", "SELECT Id FROM Account WHERE SystemModstamp > '2024-01-01T00:00:00Z'", "MALFORMED_QUERY", nil},
		{"AND and OR mixed", "query", "SELECT Id FROM Account WHERE Name = 'A' OR Name = 'B' AND IsDeleted = false", "MALFORMED_QUERY", nil},
		{"bad id", "query", "SELECT Id FROM Account WHERE Id > 'x'", "INVALID_QUERY_FILTER_OPERATOR", nil},
		{"unquoted id", "query", "SELECT Id FROM Account WHERE Id > 001000000000001AAA", "MALFORMED_QUERY", nil},
		{"group by", "query", "SELECT Name FROM Account GROUP BY Name", "MALFORMED_QUERY", nil},
		{"function", "query", "SELECT COUNT() FROM Account", "MALFORMED_QUERY", nil},
		{"duplicate field", "query", "SELECT Id, id FROM Account", "MALFORMED_QUERY", nil},
		{"unterminated string", "query", "SELECT Id FROM Account WHERE Name = 'A", "MALFORMED_QUERY", nil},
		{"empty", "query", "", "MALFORMED_QUERY", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, page := c.query(tt.resource, tt.q)
			if code != tt.wantCode || (code != "" && status != http.StatusBadRequest) {
				t.Fatalf("status %d code %q, want %q", status, code, tt.wantCode)
			}
			var ids []string
			for _, r := range page.Records {
				ids = append(ids, r["Id"].(string))
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryPaging(t *testing.T) {
	s := New(Options{BatchSize: 4})
	defer s.Close()
	s.Seed(10, 0, 0)
	c := newClient(t, s)
	_, _, page := c.query("queryAll", "SELECT Id, Email FROM Contact ORDER BY SystemModstamp, Id")
	var ids []string
	for {
		for _, r := range page.Records {
			ids = append(ids, r["Id"].(string))
		}
		if page.Done {
			break
		}
		if page.TotalSize != 10 || len(page.Records) != 4 {
			t.Fatalf("page = %+v", page)
		}
		status, _, body := c.do("GET", page.NextRecordsURL, "")
		_, _, page = decodeAnswer(t, status, body)
	}
	if diff := cmp.Diff(s.IDs(Contact, false), ids); diff != "" {
		t.Errorf("paged ids (-want +got):\n%s", diff)
	}
	status, _, body := c.do("GET", "/services/data/v59.0/query/01gFAKE00000001AAA-4", "")
	if _, code, _ := decodeAnswer(t, status, body); code != "INVALID_QUERY_LOCATOR" {
		t.Errorf("a closed locator gives %d %s", status, code)
	}
}

func TestRequestChecks(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	c := newClient(t, s)
	anon := &client{t: t, s: s}
	tests := []struct {
		name       string
		c          *client
		method     string
		path       string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"no session", anon, "GET", "/services/data/v59.0/sobjects/Opportunity/describe", "", 401, "INVALID_SESSION_ID"},
		{"unknown version", c, "GET", "/services/data/v10.0/sobjects/Opportunity/describe", "", 404, "NOT_FOUND"},
		{"describe", c, "GET", "/services/data/v59.0/sobjects/Opportunity/describe", "", 200, ""},
		{"describe unknown", c, "GET", "/services/data/v59.0/sobjects/Nope/describe", "", 404, "NOT_FOUND"},
		{"wrong method", c, "POST", "/services/data/v59.0/query", "", 405, "METHOD_NOT_ALLOWED"},
		{"upsert of another type", c, "PATCH", "/services/data/v59.0/composite/sobjects/SRG_Touchpoint__c/SRG_Touchpoint_Id__c",
			`{"records":[{"attributes":{"type":"Account"},"SRG_Touchpoint_Id__c":"x"}]}`, 400, "INVALID_INPUT"},
		{"upsert unknown field", c, "PATCH", "/services/data/v59.0/composite/sobjects/SRG_Touchpoint__c/SRG_Touchpoint_Id__c",
			`{"records":[{"attributes":{"type":"SRG_Touchpoint__c"},"SRG_Touchpoint_Id__c":"x","Nope__c":"y"}]}`, 400, "INVALID_FIELD"},
		{"upsert by another field", c, "PATCH", "/services/data/v59.0/composite/sobjects/SRG_Touchpoint__c/Type__c",
			`{"records":[{"attributes":{"type":"SRG_Touchpoint__c"},"Type__c":"x"}]}`, 404, "NOT_FOUND"},
		{"upsert not JSON", c, "PATCH", "/services/data/v59.0/composite/sobjects/SRG_Touchpoint__c/SRG_Touchpoint_Id__c", `{`, 400, "JSON_PARSER_ERROR"},
		{"upsert over 200", c, "PATCH", "/services/data/v59.0/composite/sobjects/SRG_Touchpoint__c/SRG_Touchpoint_Id__c",
			`{"records":[` + strings.Repeat(`{"attributes":{"type":"SRG_Touchpoint__c"},"SRG_Touchpoint_Id__c":"x"},`, 200) + `{"attributes":{"type":"SRG_Touchpoint__c"},"SRG_Touchpoint_Id__c":"x"}]}`, 400, "EXCEEDED_ID_LIMIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := tt.c.do(tt.method, tt.path, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", status, body, tt.wantStatus)
			}
			if tt.wantCode != "" {
				if _, code, _ := decodeAnswer(t, status, body); code != tt.wantCode {
					t.Errorf("code %q, want %q", code, tt.wantCode)
				}
			}
			if status != 401 && status != 404 && !strings.HasPrefix(h.Get("Sforce-Limit-Info"), "api-usage=") {
				t.Errorf("Sforce-Limit-Info = %q", h.Get("Sforce-Limit-Info"))
			}
		})
	}
}

func TestSeed(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	defer a.Close()
	defer b.Close()
	a.Seed(100, 10, 30)
	b.Seed(100, 10, 30)
	want := map[string]int{Contact: 100, Account: 10, Opportunity: 30, Lead: 25, Campaign: 1, OpportunityContactRole: 40, CampaignMember: 45, OpportunityStage: 6}
	for obj, n := range want {
		if got := len(a.IDs(obj, false)); got != n {
			t.Errorf("%s: %d records, want %d", obj, got, n)
		}
		var ra, rb []map[string]string
		a.Records(obj, func(r map[string]string) { ra = append(ra, r) })
		b.Records(obj, func(r map[string]string) { rb = append(rb, r) })
		if diff := cmp.Diff(ra, rb); diff != "" {
			t.Errorf("%s differs between two seeds:\n%s", obj, diff)
		}
	}
}

// A quarter of the benchmark's org (100,000 contacts) seeds with the shape Seed
// promises.
func TestSeedLarge(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Seed(25_000, 5_000, 7_500)
	want := map[string]int{Contact: 25_000, Account: 5_000, Opportunity: 7_500, Lead: 6_250, Campaign: 12, OpportunityContactRole: 10_000}
	for obj, n := range want {
		if got := len(s.IDs(obj, false)); got != n {
			t.Errorf("%s = %d, want %d", obj, got, n)
		}
	}
}

func TestMutations(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.Seed(20, 4, 8)
	acc := s.IDs(Account, false)
	contactsOfAcc1 := s.where(s.obj(Contact), "AccountId", acc[1])
	s.Merge(Account, acc[0], acc[1])
	for _, id := range contactsOfAcc1 {
		if got := s.Get(Contact, id)["AccountId"]; got != acc[0] {
			t.Errorf("contact %s of the merged account points at %s", id, got)
		}
	}
	if got := s.Get(Account, acc[1]); got["IsDeleted"] != "true" || got["MasterRecordId"] != acc[0] {
		t.Errorf("merged account = %v", got)
	}
	s.Delete(Account, acc[0])
	if live := s.where(s.obj(Contact), "AccountId", acc[0]); len(live) != 0 {
		t.Errorf("contacts %v outlive their deleted account", live)
	}
	opp := s.IDs(Opportunity, false)[0]
	before := s.Get(Opportunity, opp)["SystemModstamp"]
	s.Update(Opportunity, opp, map[string]string{"StageName": "Closed Won"})
	got := s.Get(Opportunity, opp)
	if got["IsWon"] != "true" || got["IsClosed"] != "true" || got["SystemModstamp"] <= before {
		t.Errorf("won opportunity = %v", got)
	}
}
